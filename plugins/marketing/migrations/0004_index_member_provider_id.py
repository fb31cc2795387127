"""Index the members' provider ids (issue 14): a provider's delivery report (delivered,
bounced) names the message by the id the provider gave it when it was sent."""
from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_index('marketing_campaign_member', ('provider_id',), False))


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index('marketing_campaign_member',
                            'marketing_campaign_member_provider_id'))
