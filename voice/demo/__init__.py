"""Demo data: ``voice demo seed`` fills the database with realistic calls for the web UIs."""
