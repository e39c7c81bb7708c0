"""What other apps add to the core: role permissions and navigation entries.

Apps register from their AppConfig.ready(), so core never imports an app above it.
"""

from dataclasses import dataclass, field

ROLE_PERMISSIONS: dict[str, set[str]] = {}


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    permission: str | None = None  # "app_label.codename"; None: every signed-in user
    order: int = 100
    roles: frozenset[str] = field(default_factory=frozenset)  # empty: any role with the permission
    # URL names of pages reached from this item that have no item of their own: they make this item active
    also_active: tuple[str, ...] = ()


NAV_ITEMS: list[NavItem] = []


def register_permissions(role: str, *perms: str) -> None:
    ROLE_PERMISSIONS.setdefault(role, set()).update(perms)


def register_nav(item: NavItem) -> None:
    if item not in NAV_ITEMS:
        NAV_ITEMS.append(item)
        NAV_ITEMS.sort(key=lambda i: i.order)


# Demo data: (order, label, callable(stdout) -> None); `seed_demo` runs them in order.
SEEDERS: list[tuple[int, str, object]] = []


def register_seeder(order: int, label: str, seeder) -> None:
    if all(existing[1] != label for existing in SEEDERS):
        SEEDERS.append((order, label, seeder))
        SEEDERS.sort(key=lambda s: s[0])


# Sections of a lower app's page that a higher app fills (DESIGN section 8): the page loads each one as an
# htmx fragment from the owning app, so agents never imports registrations or inspections.
@dataclass(frozen=True)
class PageSection:
    target: str  # "agents.agent", "agents.registrationpoint" (reversed with the object's pk) or "home"
    url_name: str
    permission: str | None = None
    order: int = 100


PAGE_SECTIONS: list[PageSection] = []


def register_section(section: PageSection) -> None:
    if section not in PAGE_SECTIONS:
        PAGE_SECTIONS.append(section)
        PAGE_SECTIONS.sort(key=lambda s: s.order)


# Where the audit chain's head is kept outside its table (a night's run record, an issued report, an
# evidence pack): each source is a callable returning {event id: hash}; verify_audit checks them all.
AUDIT_ANCHOR_SOURCES: list[tuple[str, object]] = []


def register_audit_anchors(label: str, source) -> None:
    if all(existing[0] != label for existing in AUDIT_ANCHOR_SOURCES):
        AUDIT_ANCHOR_SOURCES.append((label, source))


# A role whose work starts on another app's page (field inspectors: "My tasks"): role -> URL name.
HOME_PAGES: dict[str, str] = {}


def register_home(role: str, url_name: str) -> None:
    HOME_PAGES[role] = url_name


# Steps a higher app adds to the nightly chain (DESIGN section 6): reports prepares last month's report on
# the 1st and applies retention. They run after the inspections' own steps and before the digest, each in
# the chain's error handling; `run(now=, actor=)` returns a JSON summary (counts) for the night's record.
@dataclass(frozen=True)
class NightlyStep:
    name: str  # the key in NightlyRun.steps
    label: object  # shown on the nightly run page (a lazy translation)
    run: object  # callable(*, now, actor) -> dict
    order: int = 100
    # callable(summary: dict) -> [(label, text)]: the step's summary in the reader's words on the nightly run
    # page; None: the page's own labels for the keys it knows
    describe: object = None


NIGHTLY_STEPS: list[NightlyStep] = []


def register_nightly_step(step: NightlyStep) -> None:
    if all(existing.name != step.name for existing in NIGHTLY_STEPS):
        NIGHTLY_STEPS.append(step)
        NIGHTLY_STEPS.sort(key=lambda s: s.order)


# Sections a higher app adds to the daily digest e-mail (subject requests due or overdue): each is a
# callable(*, user, now) -> DigestSection | None (None or a zero count: nothing to say to that user).
@dataclass(frozen=True)
class DigestSection:
    title: str
    count: int
    items: tuple[str, ...] = ()  # one line each, no personal data
    url_name: str = ""  # the list it counts, linked when SITE_URL is set


DIGEST_SECTIONS: list[tuple[int, object]] = []


def register_digest_section(order: int, source) -> None:
    if all(existing[1] is not source for existing in DIGEST_SECTIONS):
        DIGEST_SECTIONS.append((order, source))
        DIGEST_SECTIONS.sort(key=lambda s: s[0])


# Audit actions in words (issue 12: auditors read labels, not codes): each app registers the actions it
# writes, {action code: lazy label}; the audit pages, filters and exports show the label in the reader's
# language and fall back to the code only for an action nobody registered.
AUDIT_ACTION_LABELS: dict[str, object] = {}


def register_audit_actions(labels: dict) -> None:
    AUDIT_ACTION_LABELS.update(labels)


# Jobs whose message the queue may have lost: Redis here keeps nothing on disk, so a broker restarted
# while a job waited for a worker forgets it, and the job would wait for ever. Each source is
# callable(*, waiting_since: datetime) -> [(key, send)]: its jobs still waiting that were created before
# `waiting_since`, with a function that sends the job's task again. Sending twice is safe: a job's claim
# takes it from waiting only, so a second message finds it taken and does nothing.
QUEUE_SWEEPS: dict[str, object] = {}


def register_queue_sweep(name: str, source) -> None:
    QUEUE_SWEEPS[name] = source


# What a higher app does once agents or points were written, or once what they must be judged against changed
# (issue 16: registrations judges BLACKLISTED_AGENT for them at once). Each hook is callable(*, agent_ids,
# point_ids, actor, cause) -> None; agents calls it after the transaction commits, once per write with every id,
# so a hook is set-based over an import's many rows. `cause` says why: AGENTS_SAVED (every write path of agents
# and points: the services behind the pages and the API, the CSV imports) or BLACKLIST_CHANGED (a blacklist entry
# listed or lifted: the agents and points carrying one of its keys may match, or stop matching). A failing hook is
# logged and never undoes or fails the write.
AGENTS_SAVED = "save"
BLACKLIST_CHANGED = "blacklist"
AGENTS_WRITTEN_HOOKS: dict[str, object] = {}


def register_agents_written(name: str, hook) -> None:
    AGENTS_WRITTEN_HOOKS[name] = hook
