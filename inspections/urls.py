from .views import field, office, risk

app_name = "inspections"

urlpatterns = [*office.urlpatterns, *field.urlpatterns, *risk.urlpatterns]
