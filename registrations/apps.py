from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistrationsConfig(AppConfig):
    name = "registrations"
    verbose_name = _("Registrations and activations")

    def ready(self):
        from core.registry import (
            NavItem,
            PageSection,
            register_audit_actions,
            register_nav,
            register_permissions,
            register_queue_sweep,
            register_section,
            register_seeder,
        )
        from core.roles import Role

        from .imports.services import waiting_jobs

        register_queue_sweep("registration imports", waiting_jobs)

        view = ("registrations.view_registration", "registrations.view_activation")
        for role in (Role.OFFICER, Role.MANAGER):
            register_permissions(role, *view, "registrations.import_registrations")
        register_permissions(Role.AUDITOR, *view)
        # rules, flags and check runs (DESIGN section 2: officers run checks and review flags, managers
        # also manage the rules, auditors read)
        flags_read = ("registrations.view_flag", "registrations.view_rule", "registrations.view_checkrun")
        for role in (Role.OFFICER, Role.MANAGER):
            register_permissions(role, *flags_read, "registrations.run_checks", "registrations.review_flag")
        register_permissions(Role.MANAGER, "registrations.change_rule")
        register_permissions(Role.AUDITOR, *flags_read)
        # integration pushes data but never reads personal data back (DESIGN section 2: write-only for PII)
        register_permissions(Role.INTEGRATION, "registrations.import_registrations")

        register_nav(
            NavItem(
                _("Registrations"),
                "registrations:registration_list",
                "registrations.view_registration",
                order=20,
                roles=frozenset({Role.OFFICER, Role.MANAGER, Role.AUDITOR}),
            )
        )
        register_nav(
            NavItem(
                _("Imports"),
                "registrations:import",
                "registrations.import_registrations",
                order=21,
                roles=frozenset({Role.OFFICER, Role.MANAGER}),
            )
        )
        readers = frozenset({Role.OFFICER, Role.MANAGER, Role.AUDITOR})
        register_nav(NavItem(_("Flags"), "registrations:flag_list", "registrations.view_flag", 30, readers))
        # the check runs are one click from the flag queue and the rules (the header stays one line wide)
        register_nav(
            NavItem(
                _("Rules"),
                "registrations:rule_list",
                "registrations.view_rule",
                order=40,
                roles=readers,
                also_active=("registrations:checkrun_list",),
            )
        )

        # a point's and an agent's flags on their pages (agents does not import registrations)
        for target, url_name in (
            ("agents.registrationpoint", "registrations:point_flags_section"),
            ("agents.agent", "registrations:agent_flags_section"),
        ):
            register_section(PageSection(target, url_name, "registrations.view_flag", order=5))
        # a registration's own flags on its record page (records does not import checks)
        register_section(
            PageSection(
                "registrations.registration",
                "registrations:registration_flags_section",
                "registrations.view_flag",
                order=5,
            )
        )

        register_audit_actions(
            {
                "registration.reveal": _("Personal data revealed"),
                "registrations.import": _("Registrations imported"),
                "activations.import": _("Activations imported"),
                "flag.confirm": _("Flag confirmed"),
                "flag.dismiss": _("Flag dismissed"),
                "flags.export": _("Flags exported"),
                "rule.update": _("Rule changed"),
                "checks.run": _("Checks run"),
                "checks.on_save": _("Blacklist checked on save"),
                "checks.on_blacklist": _("Blacklist checked on listing or lifting"),
            }
        )

        # business events for the operator's systems (core.webhooks): new critical flags after a check run
        from core.events import register_event_types

        register_event_types({"flags.critical_raised": _("New critical flags")})

        # agents and points judged against the blacklist the moment they are saved (issue 16; agents does not
        # import registrations: it calls this hook after its writes commit)
        from core.registry import register_agents_written

        from .checks.services import flags_judge_written

        register_agents_written("BLACKLISTED_AGENT", flags_judge_written)

        from .demo import seed_registrations

        register_seeder(20, "Registrations and activations", seed_registrations)
