"""Hooks about the kernel's own life: start and plugin state changes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import hookspec

if TYPE_CHECKING:
    from typing import Any

    from accord.kernel import Accord


@hookspec(historic=True)
def kernel_started(kernel: Accord) -> None:
    """Learn that a kernel has opened its database and loaded its plugins.

    Called: once per kernel, at the end of ``Accord.start()``, outside any transaction;
        historic, so a plugin registered later is called on registration. A plugin
        that starts running later (enabled in this or another process) is called
        once, when the kernel picks the change up.
    Returns: None. Use it to connect signal receivers or fill ``kernel.stash``.
    Order: every implementation runs.
    Since: 0.1
    """


@hookspec
def plugin_enabled(kernel: Accord, name: str) -> None:
    """React to being enabled: bring the plugin's own data in step with the rest.

    Called: once per enable, in the enabling process, on the plugin just enabled only
        (a plugin that wants to know about others connects to the ``plugin_enabled``
        signal); inside the transaction that stores the state, after it: writes
        elsewhere wait until the plugin is enabled and in step, and an exception
        aborts the enable, leaving every state as it was.
    Args: name: the plugin just enabled (the implementing plugin itself).
    Returns: None.
    Order: only the enabled plugin's implementation runs.
    Since: 0.1
    Changed: 0.2: called on the enabled plugin only, inside the enabling transaction.
    """


@hookspec
def validate_settings(kernel: Accord, plugin: str, settings: dict[str, Any],
                      previous: dict[str, Any]) -> None:
    """Veto a change of a plugin's settings (a pipeline stage still in use, say).

    Called: when the plugin's own settings are changed through ``accord plugins
        settings`` (or the admin API), inside the transaction that stores them, after
        the plugin's settings schema accepted them; on that plugin only.
    Args: plugin: the plugin whose settings change (the implementing plugin itself).
    Returns: None. Raise accord.errors.ValidationError naming the setting to refuse.
    Order: only the plugin concerned is asked.
    Since: 0.1
    Changed: 0.2: called on the plugin whose settings change only.
    """


@hookspec
def erase_personal_data(kernel: Accord, record_type: RecordType,
                        ids: list[int]) -> list[Erasure]:
    """Name the copies of some records' personal data a plugin keeps, so they go too.

    Called: by ``accord.services.anonymize`` when a person's data is erased on request
        (``accord anonymize contact ID``) and, for every record type, when a whole
        database is pseudonymized (``accord anonymize --all``); inside its write
        transaction, before any value is replaced. Read only: the core does the writes.
    Args: record_type: the type of the records whose personal data goes (a contact);
        ids: their ids.
    Returns: a list of ``accord.services.anonymize.Erasure(record_type, ids, fields)``:
        records of the plugin's own types holding a copy (a record that names the
        person and repeats their email), whose ``fields`` the core replaces with
        placeholders, scrubs from the audit trail and the outbox, and reports. A copy
        in a table that is no record type gives ``replace``, the plugin's service
        function the core calls in the transaction with the placeholder maker.
        None or [] for no copy.
    Order: every implementation runs; the items of all are erased.
    Since: 0.2
    """


if TYPE_CHECKING:
    from accord.records import RecordType
    from accord.services.anonymize import Erasure
