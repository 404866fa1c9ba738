"""Writes for requests, one module per concern. Views and the API call these, never the ORM.

- `intake`: public and staff submission, tracking numbers, private links, photos, rate limits
- `lifecycle`: `case_transition` (compare-and-set) and one wrapper per action
- `routing`: category × level × territory → handler
- `sla`: due times on the working calendar, near-due/overdue marking
- `whistles`: 吹哨报到
- `mediation`, `errands`, `patrol`: the kinds beyond the ordinary
- `duplicates`: similar open requests, support, merge suggestions
- `notify`: the staff inbox and the outbound channel interface
- `config`: categories, SLA targets, routing rules, settings
- `residents`: the residents' phone login (one-time code → session), shared by every later app
"""
