"""The plan's registers, its 13 tasks and the city's Little Giant reserve, shaped like an app inside
``assessment``.

models (the register models, app label ``assessment``), permissions, services (every write), selectors
(the reads), forms, filters, tables, exporters, views and urls (namespace ``registers``); for the Little
Giant reserve also ``little_giant`` (who is a candidate), ``workflow`` (its legal moves) and
``lg_reserve_views`` (its pages).
"""
