using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Webhooks.Core.Data.Migrations
{
    /// <inheritdoc />
    public partial class DeliveryStatusEnum : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterDatabase()
                .Annotation("Npgsql:Enum:delivery_status", "failed,pending,retrying,success");

            // The text column becomes the enum in place. The partial index of live deliveries is rebuilt around the
            // change so that its filter compares enum values (the literals now mean enum labels), as queries do.
            migrationBuilder.DropIndex(name: "ix_deliveries_next_attempt_at", table: "deliveries");
            migrationBuilder.Sql("ALTER TABLE deliveries ALTER COLUMN status TYPE delivery_status USING status::delivery_status;");
            migrationBuilder.CreateIndex(name: "ix_deliveries_next_attempt_at", table: "deliveries", column: "next_attempt_at",
                filter: "status IN ('pending', 'retrying')");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(name: "ix_deliveries_next_attempt_at", table: "deliveries");
            migrationBuilder.Sql("ALTER TABLE deliveries ALTER COLUMN status TYPE character varying(16) USING status::text;");
            migrationBuilder.CreateIndex(name: "ix_deliveries_next_attempt_at", table: "deliveries", column: "next_attempt_at",
                filter: "status IN ('pending', 'retrying')");

            migrationBuilder.AlterDatabase()
                .OldAnnotation("Npgsql:Enum:delivery_status", "failed,pending,retrying,success");
        }
    }
}
