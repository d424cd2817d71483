using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Webhooks.Core.Data.Migrations
{
    /// <inheritdoc />
    public partial class ApiKeyLifecycle : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "expires_at",
                table: "api_keys",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "last_used_at",
                table: "api_keys",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "name",
                table: "api_keys",
                type: "character varying(200)",
                maxLength: 200,
                nullable: false,
                defaultValue: "Issued before keys had names");

            migrationBuilder.CreateIndex(
                name: "ix_api_keys_revoked_at",
                table: "api_keys",
                column: "revoked_at",
                filter: "revoked_at IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_api_keys_revoked_at",
                table: "api_keys");

            migrationBuilder.DropColumn(
                name: "expires_at",
                table: "api_keys");

            migrationBuilder.DropColumn(
                name: "last_used_at",
                table: "api_keys");

            migrationBuilder.DropColumn(
                name: "name",
                table: "api_keys");
        }
    }
}
