"""README.txt of an evidence pack: what each file holds, how to check it (written by packing.write_pack)."""

from datetime import datetime

from django.utils import timezone

from agents.models import Agent

LANGUAGE_NAMES = {"vi": "Vietnamese", "en": "English"}


def readme(
    subject, *, head: dict, generated_at: datetime, generated_by: str, provinces: list[str], language: str
) -> str:
    kind = "agent" if isinstance(subject, Agent) else "registration point"
    scope = (
        "the agent, its sub-agents at any depth (the dealer tree) and all their registration points, "
        "within the provinces of the person who asked for it"
        if isinstance(subject, Agent)
        else "the registration point"
    )
    return f"""SIM Agent Watch - evidence pack
================================

Subject: {kind} {subject.code} ({subject.name})
Covers: {scope}.
Provinces (codes): {", ".join(provinces)}
Generated at: {timezone.localtime(generated_at).isoformat()} by {generated_by}
Language of the checklist questions and sanction names: {LANGUAGE_NAMES[language]} ({language})
Audit chain head when generated: event #{head["id"]}, hash {head["hash"]}

Files (CSV: UTF-8, header row, comma; times ISO 8601 with their offset, local time Asia/Ho_Chi_Minh)
- agent.json / point.json: the subject's record as stored.
- sub_agents.csv (agent packs): the agent's sub-agents in the dealer tree, columns as agents.csv.
- points.csv (agent packs): the points of the agent and its sub-agents, columns as points.csv.
- status_history.csv: every status change of the agents and points covered, with reason and who.
- flags.csv, flag_events.csv: the flags raised by the compliance rules and their review history.
  Subscribers' personal data is MASKED: initials only, ID and phone numbers partly hidden, year of
  birth only, last part of the address only. The registration's external_id identifies it to the
  operator's systems.
- inspections.csv: one row per inspection task; inspections/<task>/report.json: the task, its history,
  the inspector's report (check-in and check-out, answers, SIMs found, remarks, review) and the list of
  its photos, which are in inspections/<task>/photos/ (sha256_at_upload: the hash recorded on upload).
  Each answer's question, and each sanction's name in sanctions.csv, is in the language named above
  (the other language's where it has none).
- findings.csv, sanctions.csv, corrective_actions.csv: what the inspections found, the sanctions
  proposed or decided and the corrective actions, whose evidence files are in evidence/.
- audit_events.csv: the audit trail's events about the subject and the objects above, up to the
  chain head named above, with each event's hash and the previous event's hash.
- missing_files.csv (only if needed): stored files that could not be read when the pack was made.
- SHA256SUMS and manifest.json: the SHA-256 and size of every file.

How to verify
1. The files: unzip the pack and, in its folder, run
       sha256sum -c SHA256SUMS
   Every line must say OK. manifest.json lists the same hashes with each file's size in bytes (it
   covers SHA256SUMS too), with generated_at, generated_by, audit_chain_head and language.
2. The audit events: on the SIM Agent Watch server, run
       python manage.py verify_audit
   It checks the whole hash chain and every anchor kept outside the table, this pack's audit chain
   head among them (event #{head["id"]} must still have hash {head["hash"]}). Each row of
   audit_events.csv must then match the trail's event of the same id (its hash column), which the
   audit trail page shows; an event whose hash differs, or one missing from the trail, was altered
   after this pack was made.
"""
