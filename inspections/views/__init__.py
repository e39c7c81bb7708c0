"""Pages of the inspections app, one module per subject:

- planning: the planning page, assigning in bulk, making tasks (by hand, from a flag, in bulk)
- tasks: one task's page: assign, unassign, cancel, review
- findings, sanctions, actions: what accepted reports lead to
- checklists: checklist versions and editing them
- sections: the fragments shown on point, agent and home pages
- field: the field inspector's phone workflow and the photo files
- risk: the risk and scheduling policy and the nightly runs
- _common: what the compliance staff's pages share (permissions, the `staff` decorator, lists)
"""
