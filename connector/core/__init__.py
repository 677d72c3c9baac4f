"""The pure core: scoring, HubSpot value formats, scorecard, diff, follow-up rules. No I/O.

records.py     record-id order, merged-contact aliases, batches
values.py      HubSpot property value formats and semantic comparison
scoring.py     NPS maths: categories, contact and company scores, exact rounding
properties.py  the property definitions the connector writes
scorecard.py   ledger rows -> desired property values per contact and company
diff.py        desired vs current values: only what changed
followup.py    follow-up rules: eligibility, owner, due date, templates, markers, plans
at_risk.py     the company-at-risk rule
"""
