"""Never give an id twice: AUTOINCREMENT on every SQLite table, and a place for the
highest id of a dropped table.

SQLite hands the id of the newest row, once deleted, to the next insert (an
opportunity created after one was deleted inherited its timeline, tags and audit)
unless the INTEGER PRIMARY KEY is AUTOINCREMENT. New tables get it from the kernel's
SQLite connection (``accord.ids.autoincrement``); ``up`` rebuilds the tables of a
database made before, every table with such a key (the core's, every plugin's, the
migration histories), keeping rows, indexes and triggers. PostgreSQL sequences do
not go back, so nothing is rebuilt there.

Both engines: each record table's counter is moved above the highest id the audit
names for its type (the newest record, deleted before, keeps its id to itself), and
``accord_id_high_water`` keeps the highest id of a table that is dropped (a purge, a
downgrade), so the table created again starts above it.

``down`` drops ``accord_id_high_water`` and keeps AUTOINCREMENT on the tables: the
code of 0005 reads and writes them exactly as before, and taking it away would let
ids be reused again, which no version of Accord wants.

Works on the stored schema and a frozen copy; never import the live models here.
"""
import re

from peewee import *
from playhouse.migrations import MigrationError

# A column typed exactly INTEGER that is the PRIMARY KEY (the rowid alias), with its
# optional order and conflict clause; never spanning two columns.
_ROWID_KEY = re.compile(
    r"""[(,]\s*(?:"[^"]*"|`[^`]*`|\[[^\]]*\]|\w+)\s+INTEGER\b[^,()]*?\bPRIMARY\s+KEY\b"""
    r"""(?:\s+(?:ASC|DESC)\b)?(?:\s+ON\s+CONFLICT\s+\w+\b)?""", re.I)


def _high_water(db):
    class IdHighWater(Model):
        name = CharField(max_length=200, primary_key=True)
        last_id = BigIntegerField()

        class Meta:
            database = db
            table_name = 'accord_id_high_water'

    return IdHighWater


def up(migrator, db):
    if isinstance(db, SqliteDatabase):
        _add_autoincrement(db)
    _above_the_audit(db)
    db.create_tables([_high_water(db)])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('accord_id_high_water'))


def _add_autoincrement(db):
    if db.pragma('foreign_keys'):
        # Dropping a table with foreign keys on would run its ON DELETE actions (and
        # empty the tables that cascade). The runner turns them off outside a
        # transaction; inside one it cannot.
        raise MigrationError('0006 rebuilds tables and needs foreign keys off: run it '
                             'outside any transaction (accord db upgrade)')
    tables = db.execute_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' "
        "AND name NOT LIKE 'sqlite_%' ORDER BY name").fetchall()
    for name, sql in tables:
        if 'AUTOINCREMENT' in sql.upper() or 'WITHOUT ROWID' in sql.upper():
            continue
        keys = [row for row in db.execute_sql(f'PRAGMA table_info("{name}")').fetchall()
                if row[5]]
        if len(keys) != 1 or keys[0][2].upper() != 'INTEGER':
            continue  # no rowid alias: a name, a composite key or another type
        if not _ROWID_KEY.search(sql):
            raise MigrationError(f'cannot add AUTOINCREMENT to {name}: its INTEGER '
                                 'PRIMARY KEY is declared in a form 0006 does not read')
        _rebuild(db, name, sql)


def _rebuild(db, name, sql):
    """SQLite's own recipe for changing a table: create the new one, copy, drop, rename,
    then the indexes and triggers again. The copy sets the counter to the highest id."""
    columns = ', '.join(f'"{row[1]}"' for row in
                        db.execute_sql(f'PRAGMA table_info("{name}")').fetchall())
    extras = [row[0] for row in db.execute_sql(
        "SELECT sql FROM sqlite_master WHERE type IN ('index', 'trigger') "
        "AND tbl_name = ? AND sql IS NOT NULL", (name,)).fetchall()]
    temporary = f'{name}__0006'
    body = _ROWID_KEY.sub(lambda m: m.group(0) + ' AUTOINCREMENT', sql[sql.index('('):],
                          count=1)
    db.execute_sql(f'CREATE TABLE "{temporary}" {body}')
    db.execute_sql(f'INSERT INTO "{temporary}" ({columns}) SELECT {columns} FROM "{name}"')
    db.execute_sql(f'DROP TABLE "{name}"')
    db.execute_sql(f'ALTER TABLE "{temporary}" RENAME TO "{name}"')
    for statement in extras:
        db.execute_sql(statement)


def _above_the_audit(db):
    """The audit names every record ever created, deleted ones too: start each record
    table's ids above the highest id its type's entries name. Without it, the newest
    record deleted before this migration would still give its id (and its history)
    to the next one. Tables are found by the naming rule (``accord_<type>``,
    ``<plugin>_<entity>`` for ``<plugin>.<entity>``); a guess that misses only skips."""
    tables = set(db.get_tables())
    if 'accord_audit' not in tables:
        return
    for record_type, highest in db.execute_sql(
            'SELECT record_type, MAX(record_id) FROM accord_audit GROUP BY record_type'
    ).fetchall():
        table = (record_type.replace('.', '_') if '.' in record_type
                 else f'accord_{record_type}')
        if table in tables and highest:
            _raise_counter(db, table, int(highest))


def _raise_counter(db, table, highest):
    if isinstance(db, SqliteDatabase):
        (sql,) = db.execute_sql("SELECT sql FROM sqlite_master WHERE type = 'table' "
                                "AND name = ?", (table,)).fetchone()
        if 'AUTOINCREMENT' not in sql.upper():
            return  # keyed by something else (a role's name)
        row = db.execute_sql('SELECT seq FROM sqlite_sequence WHERE name = ?',
                             (table,)).fetchone()
        if row is None:
            db.execute_sql('INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)',
                           (table, highest))
        elif row[0] < highest:
            db.execute_sql('UPDATE sqlite_sequence SET seq = ? WHERE name = ?',
                           (highest, table))
        return
    if 'id' not in [c.name for c in db.get_columns(table)]:
        return
    (sequence,) = db.execute_sql("SELECT pg_get_serial_sequence(%s, 'id')",
                                 (table,)).fetchone()
    if sequence is None:
        return
    last, called = db.execute_sql(f'SELECT last_value, is_called FROM {sequence}').fetchone()
    if highest > (last if called else 0):
        db.execute_sql('SELECT setval(%s, %s)', (sequence, highest))
