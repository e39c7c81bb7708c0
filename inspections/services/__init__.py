"""Every write of the inspections app, one module per workflow:

- tasks: create (by hand, from a flag, in bulk), assign, cancel, and `task_transition`, the state machine
- fieldwork: the inspector on site: check-in, answers, photos, SIMs found, check-out, submit
- review: return or accept a report (accepting makes the findings)
- sanctions: propose, approve (applied through agents.services), reject
- actions: corrective actions, their evidence and verification
- checklists: new versions of a checklist template
- nightly: the nightly chain queued from its page (after commit)
"""
