"""The audit log's models leave governance for the kernel (``socialops.audit``).

State only: the tables (and their PostgreSQL triggers) stay as they are, ``audit.0001`` adopted
them and ``audit.0002`` renames them. Nothing is dropped or copied.
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("governance", "0003_keyed_chain_and_head"),
        ("audit", "0001_adopt_the_governance_tables"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="AuditChainHead"),
                migrations.DeleteModel(name="AuditEvent"),
            ],
            database_operations=[],
        ),
    ]
