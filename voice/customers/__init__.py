"""Customers ``authenticate`` verifies: records, CSV import, storage and administration."""
