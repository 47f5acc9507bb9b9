# The studio's playlist video fields and the socket hardening's process registry were merged
# into this branch as two leaves; neither touches the other's tables.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("devices", "0123_playlist_video_items"),
        ("devices", "0123_server_process"),
    ]

    operations = []
