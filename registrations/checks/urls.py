"""The flag queue and flag pages, the rules (edit, backtest) and the check runs."""

from django.urls import path

from .views import flags, rules, runs

urlpatterns = [
    path("flags/", flags.flag_list, name="flag_list"),
    path("flags/of-point/<int:pk>/", flags.flags_section, {"subject": "point"}, name="point_flags_section"),
    path("flags/of-registration/<int:pk>/", flags.registration_flags_section, name="registration_flags_section"),
    path("flags/of-agent/<int:pk>/", flags.flags_section, {"subject": "agent"}, name="agent_flags_section"),
    path("flags/review/", flags.flag_review_bulk, name="flag_review_bulk"),
    path("flags/export.csv", flags.flag_export, name="flag_export"),
    path("flags/<int:pk>/", flags.flag_detail, name="flag_detail"),
    path("flags/<int:pk>/review/", flags.flag_review, name="flag_review"),
    path("rules/", rules.rule_list, name="rule_list"),
    path("rules/<str:code>/", rules.rule_detail, name="rule_detail"),
    path("rules/<str:code>/backtest/", rules.rule_backtest, name="rule_backtest"),
    path("rules/<str:code>/rollback/", rules.rule_rollback, name="rule_rollback"),
    path("checks/", runs.checkrun_list, name="checkrun_list"),
    path("checks/run/", runs.checkrun_start, name="checkrun_start"),
    path("checks/<int:pk>/", runs.checkrun_detail, name="checkrun_detail"),
    path("checks/<int:pk>/progress/", runs.checkrun_progress, name="checkrun_progress"),
]
