using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Webhooks.Core.Data.Migrations
{
    /// <summary>
    /// Turns <c>events</c> into a table partitioned by week (RANGE of its UUIDv7 id), like PartitionedDeliveries did for
    /// deliveries and attempts, so retention drops a week of events whole (issue 16). The unique index on
    /// <c>(tenant_id, idempotency_key)</c> cannot stay on a partitioned table (a unique index there must hold the
    /// partition key), so the key's uniqueness moves to its own table, <c>idempotency_keys</c>, filled here with every key
    /// the events hold; <c>events.idempotency_key</c> stays as a plain column, read with the event.
    /// A running deployment keeps every event: the old table becomes the partition of everything before next Monday
    /// (indexes adopted, bound proved by a CHECK constraint so ATTACH does not scan again); an empty one (a new
    /// database) is dropped and this week gets its own partition. Then a DEFAULT partition and next week's are added.
    /// <c>events</c> is locked first, so no event (nor key) arrives between the copy of the keys and the conversion. Apis
    /// older than this migration fail their publishes once it commits (their ON CONFLICT names the dropped index): roll
    /// them with it; a failed publish is answered 5xx and accepted nothing.
    /// </summary>
    /// <remarks>The partition naming (<c>events_pYYYYMMDD</c> for the week starting that Monday, UTC) is the
    /// maintainer's: keep the two in step (Webhooks.Dispatcher/Upkeep/Retention/DeliveryPartitions.cs).</remarks>
    public partial class PartitionedEvents : Migration
    {
        private const string Lock = "LOCK TABLE events IN ACCESS EXCLUSIVE MODE;";

        // The unique index guaranteed one event per key and tenant, so the copy has no conflict.
        private const string CopyKeys = """
            INSERT INTO idempotency_keys (tenant_id, key, event_id)
            SELECT tenant_id, idempotency_key, id FROM events WHERE idempotency_key IS NOT NULL;
            """;

        private const string Partition = """
            DO $migration$
            DECLARE
                week_after timestamp := date_trunc('week', now() AT TIME ZONE 'UTC') + interval '7 days';
                bound uuid := (lpad(to_hex((extract(epoch FROM week_after) * 1000)::bigint), 12, '0') || repeat('0', 20))::uuid;
                this_bound uuid := (lpad(to_hex((extract(epoch FROM week_after - interval '7 days') * 1000)::bigint), 12, '0') || repeat('0', 20))::uuid;
                next_bound uuid := (lpad(to_hex((extract(epoch FROM week_after + interval '7 days') * 1000)::bigint), 12, '0') || repeat('0', 20))::uuid;
                old_name text := 'events_until_' || to_char(week_after, 'YYYYMMDD');
                ix record;
                index_defs text[];
                def text;
                has_rows boolean;
            BEGIN
                -- The secondary indexes, as written, to create them again on the partitioned table under the same names.
                SELECT array_agg(pg_get_indexdef(i.indexrelid)) INTO index_defs
                FROM pg_index i WHERE i.indrelid = 'events'::regclass AND NOT i.indisprimary;

                EXECUTE format('ALTER TABLE events RENAME TO %I', old_name);
                FOR ix IN SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                          WHERE i.indrelid = old_name::regclass AND NOT i.indisprimary
                LOOP
                    EXECUTE format('ALTER INDEX %I RENAME TO %I', ix.relname, left(ix.relname, 50) || '_until');
                END LOOP;
                EXECUTE format('ALTER TABLE %I RENAME CONSTRAINT pk_events TO %I', old_name, 'pk_' || old_name);

                EXECUTE format('CREATE TABLE events (LIKE %I INCLUDING DEFAULTS) PARTITION BY RANGE (id)', old_name);
                ALTER TABLE events ADD CONSTRAINT pk_events PRIMARY KEY (id);
                FOREACH def IN ARRAY coalesce(index_defs, ARRAY[]::text[]) LOOP
                    EXECUTE def;
                END LOOP;
                -- The foreign key to tenants, under the same name: the old table's is adopted on ATTACH.
                FOR ix IN SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
                          WHERE conrelid = old_name::regclass AND contype = 'f'
                LOOP
                    EXECUTE format('ALTER TABLE events ADD CONSTRAINT %I %s', ix.conname, ix.def);
                END LOOP;

                EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I)', old_name) INTO has_rows;
                IF has_rows THEN
                    EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I CHECK (id IS NOT NULL AND id < %L::uuid)',
                        old_name, old_name || '_bound', bound);
                    EXECUTE format('ALTER TABLE events ATTACH PARTITION %I FOR VALUES FROM (MINVALUE) TO (%L)', old_name, bound);
                    EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', old_name, old_name || '_bound');
                ELSE
                    -- A new database: no old rows to keep, so every week gets a partition of its own from now on.
                    EXECUTE format('DROP TABLE %I', old_name);
                    EXECUTE format('CREATE TABLE %I PARTITION OF events FOR VALUES FROM (%L) TO (%L)',
                        'events_p' || to_char(week_after - interval '7 days', 'YYYYMMDD'), this_bound, bound);
                END IF;
                CREATE TABLE events_default PARTITION OF events DEFAULT;
                EXECUTE format('CREATE TABLE %I PARTITION OF events FOR VALUES FROM (%L) TO (%L)',
                    'events_p' || to_char(week_after, 'YYYYMMDD'), bound, next_bound);
            END
            $migration$;
            """;

        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(Lock);
            migrationBuilder.DropIndex(
                name: "ix_events_tenant_id_idempotency_key",
                table: "events");

            migrationBuilder.CreateTable(
                name: "idempotency_keys",
                columns: table => new
                {
                    tenant_id = table.Column<Guid>(type: "uuid", nullable: false),
                    key = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    event_id = table.Column<Guid>(type: "uuid", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_idempotency_keys", x => new { x.tenant_id, x.key });
                });

            migrationBuilder.Sql(CopyKeys);

            migrationBuilder.CreateIndex(
                name: "ix_idempotency_keys_event_id",
                table: "idempotency_keys",
                column: "event_id");

            migrationBuilder.Sql(Partition);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder) =>
            throw new NotSupportedException(
                "PartitionedEvents cannot be reverted in place: restore a backup taken before it, or copy the partitioned " +
                "table's rows into a plain one by hand.");
    }
}
