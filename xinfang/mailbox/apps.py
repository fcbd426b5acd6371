from django.apps import AppConfig


class MailboxConfig(AppConfig):
    name = "xinfang.mailbox"
    verbose_name = "领导信箱 Leader mailboxes"
