"""The plan's registers and its 13 tasks, shaped like an app inside ``assessment``.

models (the six register models, app label ``assessment``), permissions, services (every write),
selectors (the reads), forms, filters, tables, exporters, views and urls (namespace ``registers``).
"""
