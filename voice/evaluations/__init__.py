"""QA evaluations: scorecards admins define, the scores QA gives calls, rollups and CSV.

``scorecards`` (the form's model and its validation), ``scoring`` (the pure score rules),
``store`` (:class:`~voice.evaluations.store.EvaluationStore`: scorecards with versions,
evaluations), ``rollups`` (per agent and per queue), ``export`` (CSV), ``periods`` (date
ranges), ``demo`` (the demo scorecard and evaluations ``voice demo seed`` makes).
"""
