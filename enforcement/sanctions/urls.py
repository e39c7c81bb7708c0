"""Pages of enforcement.sanctions (the enforcement namespace)."""

urlpatterns: list = []
