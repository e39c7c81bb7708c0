import factory
from django.contrib.auth.models import Group

from core.models import User
from core.roles import Role, sync_roles


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("correct-horse-battery")
    all_provinces = True

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if not create or not extracted:
            return
        if not Group.objects.filter(name=Role(extracted).value).exists():
            sync_roles()
        self.groups.add(Group.objects.get(name=Role(extracted).value))

    @factory.post_generation
    def provinces(self, create, extracted, **kwargs):
        if create and extracted:
            self.all_provinces = False
            self.save(update_fields=["all_provinces"])
            self.provinces.set(extracted)
