"""The data path's I/O stages, driven by `run.SyncRun`.

pull.py      every HubSpot read -> model rows (submissions, contacts, companies, the contacts search)
followup.py  follow-up tasks exactly once: create, adopt, reconcile, refresh statuses
push.py      batch updates of changed values, and the record of what HubSpot confirmed
run.py       lock -> pull -> score -> follow up -> plan values -> push -> cursors
"""
