using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Webhooks.Core.Data.Migrations
{
    /// <summary>
    /// Turns <c>deliveries</c> and <c>delivery_attempts</c> into tables partitioned by week (RANGE of the UUIDv7 id, and of
    /// delivery_id for attempts), so retention drops whole weeks instead of deleting rows (issue 16). A running
    /// deployment keeps every row: each old table becomes the partition of everything before next Monday (its
    /// indexes are adopted as they are; a CHECK constraint proves the bound so ATTACH does not scan again); an empty one
    /// (a new database) is dropped and this week gets its own partition. Then a DEFAULT partition and next week's are
    /// added. The Dispatcher's PartitionMaintainer creates the weeks after.
    /// The foreign keys among events, deliveries and attempts are dropped (see DeliveryConfiguration for why, and what
    /// keeps integrity instead); attempts get the primary key (id, delivery_id), as a partitioned table's must hold
    /// its partition key.
    /// </summary>
    /// <remarks>The partition naming (<c>deliveries_pYYYYMMDD</c> for the week starting that Monday, UTC) is the
    /// maintainer's: keep the two in step (Webhooks.Dispatcher/Upkeep/Retention/DeliveryPartitions.cs).</remarks>
    public partial class PartitionedDeliveries : Migration
    {
        private const string Up_ = """
            ALTER TABLE delivery_attempts DROP CONSTRAINT fk_delivery_attempts_deliveries_delivery_id;
            ALTER TABLE deliveries DROP CONSTRAINT fk_deliveries_events_event_id;

            DO $migration$
            DECLARE
                week_after timestamp := date_trunc('week', now() AT TIME ZONE 'UTC') + interval '7 days';
                bound uuid := (lpad(to_hex((extract(epoch FROM week_after) * 1000)::bigint), 12, '0') || repeat('0', 20))::uuid;
                this_bound uuid := (lpad(to_hex((extract(epoch FROM week_after - interval '7 days') * 1000)::bigint), 12, '0') || repeat('0', 20))::uuid;
                next_bound uuid := (lpad(to_hex((extract(epoch FROM week_after + interval '7 days') * 1000)::bigint), 12, '0') || repeat('0', 20))::uuid;
                t record;
                ix record;
                old_name text;
                index_defs text[];
                def text;
                has_rows boolean;
            BEGIN
                -- Decided once for both tables, so their partitions keep the same bounds (retention drops them in pairs);
                -- an attempt always had its delivery (the foreign key dropped above), so no attempt is lost either.
                has_rows := EXISTS (SELECT 1 FROM deliveries);
                FOR t IN SELECT * FROM (VALUES ('deliveries', 'id', 'id'), ('delivery_attempts', 'delivery_id', 'id, delivery_id'))
                    AS v(name, partition_key, pk_columns)
                LOOP
                    old_name := t.name || '_until_' || to_char(week_after, 'YYYYMMDD');
                    -- The secondary indexes, as written, to create them again on the partitioned table under the same names.
                    SELECT array_agg(pg_get_indexdef(i.indexrelid)) INTO index_defs
                    FROM pg_index i WHERE i.indrelid = t.name::regclass AND NOT i.indisprimary;

                    EXECUTE format('ALTER TABLE %I RENAME TO %I', t.name, old_name);
                    FOR ix IN SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                              WHERE i.indrelid = old_name::regclass AND NOT i.indisprimary
                    LOOP
                        EXECUTE format('ALTER INDEX %I RENAME TO %I', ix.relname, left(ix.relname, 50) || '_until');
                    END LOOP;
                    EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', old_name, 'pk_' || t.name);
                    EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I PRIMARY KEY (%s)', old_name, 'pk_' || old_name, t.pk_columns);

                    EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS) PARTITION BY RANGE (%I)', t.name, old_name, t.partition_key);
                    EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I PRIMARY KEY (%s)', t.name, 'pk_' || t.name, t.pk_columns);
                    FOREACH def IN ARRAY coalesce(index_defs, ARRAY[]::text[]) LOOP
                        EXECUTE def;
                    END LOOP;
                    -- The remaining foreign keys (to webhooks), under the same names: the old table's are adopted on ATTACH.
                    FOR ix IN SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
                              WHERE conrelid = old_name::regclass AND contype = 'f'
                    LOOP
                        EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I %s', t.name, ix.conname, ix.def);
                    END LOOP;

                    IF has_rows THEN
                        EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I CHECK (%I IS NOT NULL AND %I < %L::uuid)',
                            old_name, old_name || '_bound', t.partition_key, t.partition_key, bound);
                        EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (MINVALUE) TO (%L)', t.name, old_name, bound);
                        EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', old_name, old_name || '_bound');
                    ELSE
                        -- A new database: no old rows to keep, so every week gets a partition of its own from now on.
                        EXECUTE format('DROP TABLE %I', old_name);
                        EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
                            t.name || '_p' || to_char(week_after - interval '7 days', 'YYYYMMDD'), t.name, this_bound, bound);
                    END IF;
                    EXECUTE format('CREATE TABLE %I PARTITION OF %I DEFAULT', t.name || '_default', t.name);
                    EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
                        t.name || '_p' || to_char(week_after, 'YYYYMMDD'), t.name, bound, next_bound);
                END LOOP;
            END
            $migration$;
            """;

        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder) => migrationBuilder.Sql(Up_);

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder) =>
            throw new NotSupportedException(
                "PartitionedDeliveries cannot be reverted in place: restore a backup taken before it, or copy the partitioned " +
                "tables' rows into plain ones by hand.");
    }
}
