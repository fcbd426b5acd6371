from django.apps import AppConfig


class BoardConfig(AppConfig):
    name = "xinfang.board"
    verbose_name = "留言板 Public board"
