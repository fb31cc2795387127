"""A plugin vetoing lost deals that name no competitor: the example of docs/sales.md."""

import pytest

import accord_sales.hooks
from accord import services
from accord.errors import ValidationError
from accord.hooks import hookimpl
from accord.plugins import PluginManifest
from accord.services import Actor
from accord_sales.services import move_opportunity


class Rivals:
    """What the competitors plugin does: a lost deal's reason names who won it."""

    MANIFEST = PluginManifest(name="rivals", version="1.0", requires={"sales": ">=1,<2"})
    COMPETITORS = ("Rival Inc", "Cheapo Ltd")

    @hookimpl
    def validate_opportunity_close(self, stage, data):
        if stage.kind == "lost" and not any(c in data["loss_reason"] for c in self.COMPETITORS):
            raise ValidationError({"loss_reason": [
                f"name the competitor who won it ({', '.join(self.COMPETITORS)})"]})


def test_a_lost_deal_names_its_competitor(make_kernel):
    kernel = make_kernel(plugins=[accord_sales.hooks, Rivals()], enable=["sales", "rivals"])
    actor = Actor.system("example")
    org = services.create(kernel, "organization", {"name": "Acme"}, actor=actor)
    deal = services.create(kernel, "sales.opportunity", {"name": "Seats",
                                                         "organization_id": org.id}, actor=actor)
    with pytest.raises(ValidationError) as caught:
        move_opportunity(kernel, deal.id, "Lost", loss_reason="Too dear", actor=actor)
    assert caught.value.messages == {"loss_reason": [
        "name the competitor who won it (Rival Inc, Cheapo Ltd)"]}
    lost = move_opportunity(kernel, deal.id, "Lost", loss_reason="Rival Inc was cheaper",
                            actor=actor)
    assert (lost.stage, lost.loss_reason) == ("Lost", "Rival Inc was cheaper")
