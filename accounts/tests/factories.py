import factory

from accounts.models import User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"fan{n}@example.com")
    name = factory.Faker("name")
    email_verified = True
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def email_address(obj, create, extracted, **kwargs):
        """allauth's record of the address, so the account can log in on the site."""
        if create and obj.email_verified:
            from allauth.account.models import EmailAddress

            EmailAddress.objects.create(user=obj, email=obj.email, verified=True, primary=True)

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create and results:
            instance.save(update_fields=["password"])


class OrganizerFactory(UserFactory):
    role = User.Role.ORGANIZER


class StaffFactory(UserFactory):
    role = User.Role.ADMIN
    is_staff = True
    is_superuser = True
