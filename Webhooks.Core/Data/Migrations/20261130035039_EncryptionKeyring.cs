using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Webhooks.Core.Data.Migrations
{
    /// <inheritdoc />
    public partial class EncryptionKeyring : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "encryption_key_canaries",
                columns: table => new
                {
                    key_id = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    ciphertext = table.Column<byte[]>(type: "bytea", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_encryption_key_canaries", x => x.key_id);
                });

            // Ciphertexts from before the keyring were nonce | tag | ciphertext under the single key. Each gets the
            // header of key id 'legacy' (0x01, length 6, "legacy"), so every stored ciphertext has one layout and names
            // its key (see SecretProtector). The key itself cannot be checked in SQL: a placeholder canary makes the
            // first process that holds 'legacy' check it against one of these secrets (see EncryptionKeyCheck).
            migrationBuilder.Sql($"""
                UPDATE webhooks SET
                    secret_ciphertext = '\x{LegacyHeader}'::bytea || secret_ciphertext,
                    previous_secret_ciphertext = '\x{LegacyHeader}'::bytea || previous_secret_ciphertext;
                INSERT INTO encryption_key_canaries (key_id, ciphertext, created_at)
                    SELECT 'legacy', NULL, now() WHERE EXISTS (SELECT 1 FROM webhooks);
                """);
        }

        private const string LegacyHeader = "01066c6567616379";

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            // Only secrets under 'legacy' can go back to the single-key layout: re-encrypt to it first.
            migrationBuilder.Sql($"""
                UPDATE webhooks SET secret_ciphertext = substring(secret_ciphertext FROM 9)
                    WHERE substring(secret_ciphertext FROM 1 FOR 8) = '\x{LegacyHeader}'::bytea;
                UPDATE webhooks SET previous_secret_ciphertext = substring(previous_secret_ciphertext FROM 9)
                    WHERE substring(previous_secret_ciphertext FROM 1 FOR 8) = '\x{LegacyHeader}'::bytea;
                """);
            migrationBuilder.DropTable(
                name: "encryption_key_canaries");
        }
    }
}
