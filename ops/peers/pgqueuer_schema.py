"""A fresh pgqueuer schema on a connection, shared by the pgqueuer peers."""
import asyncpg
from pgqueuer import AsyncpgDriver, Queries


async def fresh_queries(dsn: str) -> tuple[asyncpg.Connection, Queries]:
    """Connects, drops what an earlier run installed (nothing on a new database) and installs pgqueuer's schema."""
    connection = await asyncpg.connect(dsn)
    queries = Queries(AsyncpgDriver(connection))
    try:
        await queries.uninstall()
    except asyncpg.PostgresError:
        pass  # not installed yet
    await queries.install()
    return connection, queries
