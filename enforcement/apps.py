from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnforcementConfig(AppConfig):
    name = "enforcement"
    verbose_name = _("Enforcement")

    def ready(self):
        # Each sub-package registers its navigation, permissions, nightly steps and audit labels here.
        from importlib import import_module

        for name in SUBPACKAGES:
            module = import_module(f"{self.name}.{name}")
            if hasattr(module, "ready"):
                module.ready()


# Sub-packages (each with the skeleton of DESIGN section 8); added to as they land.
SUBPACKAGES: list[str] = ["remediation", "sanctions", "campaigns"]
