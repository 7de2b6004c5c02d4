from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """A login. Agency and personal accounts, roles and scopes come with the account model."""

    def get_full_name(self):
        # Vietnamese order: family and middle names (last_name) before the given name.
        return f"{self.last_name} {self.first_name}".strip()
