using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Webhooks.Core.Data.Migrations
{
    /// <summary>
    /// Turns <c>idempotency_keys</c> into a table partitioned by week, with the bounds of the events' weeks, so that
    /// retention drops a week of keys whole with its week of events instead of deleting them key by key (~20,000 keys/s
    /// under ingest: most of a day for a week of keyed events; issue 16). The partition key is
    /// <c>coalesce(guard_id, event_id)</c>: a key's own row goes to its event's week, a guard row (guard_id set) to the
    /// week before (see Webhooks.Core/Deliveries/KeyGuard.cs). The primary key on (tenant_id, key) cannot stay on the
    /// partitioned parent (a unique index there must hold the partition key), so each partition holds its own unique
    /// index on (tenant_id, key), made here and by the Dispatcher's PartitionMaintainer with every new week.
    /// A running deployment keeps every key: guard_id is added as a nullable column (no rewrite), and the old table
    /// becomes the partition of everything before next Monday (its primary key stays as its unique index, its event_id
    /// index is adopted; ATTACH reads it once to check the bound); an empty one (a new database) is dropped and this
    /// week gets its own partition. Then a DEFAULT partition and next week's are added. <c>idempotency_keys</c> is locked
    /// first, so no publish writes a key meanwhile. Apis older than this migration fail their keyed publishes once it
    /// commits (their ON CONFLICT names the dropped primary key): roll them with it; a failed publish is answered 5xx and
    /// accepted nothing.
    /// </summary>
    /// <remarks>The partition naming (<c>idempotency_keys_pYYYYMMDD</c> for the week starting that Monday, UTC, and its
    /// index <c>ux_{partition}_tenant_id_key</c>) is the maintainer's: keep the two in step
    /// (Webhooks.Dispatcher/Upkeep/Retention/DeliveryPartitions.cs).</remarks>
    public partial class PartitionedIdempotencyKeys : Migration
    {
        private const string Lock = "LOCK TABLE idempotency_keys IN ACCESS EXCLUSIVE MODE;";

        private const string Partition = """
            DO $migration$
            DECLARE
                week_after timestamp := date_trunc('week', now() AT TIME ZONE 'UTC') + interval '7 days';
                bound uuid := (lpad(to_hex((extract(epoch FROM week_after) * 1000)::bigint), 12, '0') || repeat('0', 20))::uuid;
                this_bound uuid := (lpad(to_hex((extract(epoch FROM week_after - interval '7 days') * 1000)::bigint), 12, '0') || repeat('0', 20))::uuid;
                next_bound uuid := (lpad(to_hex((extract(epoch FROM week_after + interval '7 days') * 1000)::bigint), 12, '0') || repeat('0', 20))::uuid;
                old_name text := 'idempotency_keys_until_' || to_char(week_after, 'YYYYMMDD');
                this_name text := 'idempotency_keys_p' || to_char(week_after - interval '7 days', 'YYYYMMDD');
                next_name text := 'idempotency_keys_p' || to_char(week_after, 'YYYYMMDD');
                has_rows boolean;
            BEGIN
                ALTER TABLE idempotency_keys RENAME TO idempotency_keys_old;
                ALTER INDEX ix_idempotency_keys_event_id RENAME TO ix_idempotency_keys_event_id_until;
                EXECUTE format('ALTER TABLE idempotency_keys_old RENAME TO %I', old_name);
                EXECUTE format('ALTER TABLE %I RENAME CONSTRAINT pk_idempotency_keys TO %I', old_name, 'pk_' || old_name);

                CREATE TABLE idempotency_keys (
                    tenant_id uuid NOT NULL,
                    key character varying(255) NOT NULL,
                    event_id uuid NOT NULL,
                    guard_id uuid
                ) PARTITION BY RANGE ((coalesce(guard_id, event_id)));
                CREATE INDEX ix_idempotency_keys_event_id ON idempotency_keys (event_id);

                EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I)', old_name) INTO has_rows;
                IF has_rows THEN
                    -- Catalog only: a nullable column with no default rewrites nothing.
                    EXECUTE format('ALTER TABLE %I ADD COLUMN guard_id uuid', old_name);
                    EXECUTE format('ALTER TABLE idempotency_keys ATTACH PARTITION %I FOR VALUES FROM (MINVALUE) TO (%L)', old_name, bound);
                ELSE
                    -- A new database: no old keys to keep, so every week gets a partition of its own from now on.
                    EXECUTE format('DROP TABLE %I', old_name);
                    EXECUTE format('CREATE TABLE %I PARTITION OF idempotency_keys FOR VALUES FROM (%L) TO (%L)', this_name, this_bound, bound);
                    EXECUTE format('CREATE UNIQUE INDEX %I ON %I (tenant_id, key)', 'ux_' || this_name || '_tenant_id_key', this_name);
                END IF;
                CREATE TABLE idempotency_keys_default PARTITION OF idempotency_keys DEFAULT;
                CREATE UNIQUE INDEX ux_idempotency_keys_default_tenant_id_key ON idempotency_keys_default (tenant_id, key);
                EXECUTE format('CREATE TABLE %I PARTITION OF idempotency_keys FOR VALUES FROM (%L) TO (%L)', next_name, bound, next_bound);
                EXECUTE format('CREATE UNIQUE INDEX %I ON %I (tenant_id, key)', 'ux_' || next_name || '_tenant_id_key', next_name);
            END
            $migration$;
            """;

        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(Lock);
            migrationBuilder.Sql(Partition);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder) =>
            throw new NotSupportedException(
                "PartitionedIdempotencyKeys cannot be reverted in place: restore a backup taken before it, or copy the " +
                "partitioned table's keys' own rows (guard_id null) into a plain one by hand.");
    }
}
