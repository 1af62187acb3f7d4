"""Reports over the store: queue KPIs for the wallboard and the supervisor reports.

Modules: :mod:`~voice.reports.kpis` (what each KPI means, the additive sums, "today"),
:mod:`~voice.reports.aggregates` (the KPI sums in SQL, per queue / agent / 15-minute bucket),
:mod:`~voice.reports.breakdowns` (per queue, per agent, per hour of the day over a date
range), :mod:`~voice.reports.funnel` (the IVR funnel per node), :mod:`~voice.reports.ranges`
(report date ranges), :mod:`~voice.reports.csv_export` (CSV files),
:mod:`~voice.reports.sqltime` (time arithmetic in SQL) and :mod:`~voice.reports.errors`.
"""
