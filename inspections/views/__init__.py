"""Pages of the inspections app, one module per audience:

- office: compliance staff's planning, task pages, review, findings, sanctions, corrective actions,
  checklists, and the sections shown on point, agent and home pages
- field: the field inspector's phone workflow and the photo files
- risk: the risk and scheduling policy and the nightly runs
"""
