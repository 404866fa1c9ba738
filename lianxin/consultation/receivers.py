"""Consultation listens to the apps before it (a helper fills this in): a milestone linked to a
request reaches 100% when the request is resolved."""
