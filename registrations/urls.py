from . import check_views, flag_views, import_views, rule_views, views

app_name = "registrations"

# pages: registration search, record page, reveal (views.py); imports (import_views.py); the flag queue
# and flag pages (flag_views.py); rules with edit and backtest (rule_views.py); check runs (check_views.py)
urlpatterns = [
    *views.urlpatterns,
    *import_views.urlpatterns,
    *flag_views.urlpatterns,
    *rule_views.urlpatterns,
    *check_views.urlpatterns,
]
