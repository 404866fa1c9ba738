"""Writes of consultation, one module per part: meetings (lifecycle, sign-in, quorum), votes
(agenda items, ballots, online links), minutes, matters (四议两公开), decisions, pledges
(三诺) and resident proposals."""
