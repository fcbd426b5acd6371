from django.apps import AppConfig


class WechatConfig(AppConfig):
    name = "xinfang.wechat"
    verbose_name = "微信公众号 WeChat"
