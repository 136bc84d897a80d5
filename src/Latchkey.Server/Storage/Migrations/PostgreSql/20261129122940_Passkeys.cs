using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Latchkey.Server.Storage.Migrations.PostgreSql
{
    /// <inheritdoc />
    public partial class Passkeys : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "FK_LogoutDeliveries_SsoSessions_SessionId",
                table: "LogoutDeliveries");

            migrationBuilder.AddColumn<bool>(
                name: "IsPersistent",
                table: "SsoSessions",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<Guid>(
                name: "SessionId",
                table: "SimpleSsoTokens",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "SubjectName",
                table: "LogoutDeliveries",
                type: "character varying(256)",
                maxLength: 256,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "BackChannelLogoutUrl",
                table: "Consumers",
                type: "character varying(2048)",
                maxLength: 2048,
                nullable: true);

            migrationBuilder.AddColumn<TimeSpan>(
                name: "MaxSessionAge",
                table: "Consumers",
                type: "interval",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "AspNetUserPasskeys",
                columns: table => new
                {
                    CredentialId = table.Column<byte[]>(type: "bytea", maxLength: 1024, nullable: false),
                    UserId = table.Column<Guid>(type: "uuid", nullable: false),
                    LastUsedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    Data = table.Column<string>(type: "jsonb", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AspNetUserPasskeys", x => x.CredentialId);
                    table.ForeignKey(
                        name: "FK_AspNetUserPasskeys_AspNetUsers_UserId",
                        column: x => x.UserId,
                        principalTable: "AspNetUsers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "PasskeyCeremonies",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    Kind = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    UserId = table.Column<Guid>(type: "uuid", nullable: true),
                    State = table.Column<string>(type: "character varying(8192)", maxLength: 8192, nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    ExpiresAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PasskeyCeremonies", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_SsoSessions_EndedAt",
                table: "SsoSessions",
                column: "EndedAt");

            migrationBuilder.CreateIndex(
                name: "IX_LogoutDeliveries_CompletedAt",
                table: "LogoutDeliveries",
                column: "CompletedAt");

            migrationBuilder.CreateIndex(
                name: "IX_AspNetUserPasskeys_UserId",
                table: "AspNetUserPasskeys",
                column: "UserId");

            migrationBuilder.CreateIndex(
                name: "IX_PasskeyCeremonies_ExpiresAt",
                table: "PasskeyCeremonies",
                column: "ExpiresAt");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "AspNetUserPasskeys");

            migrationBuilder.DropTable(
                name: "PasskeyCeremonies");

            migrationBuilder.DropIndex(
                name: "IX_SsoSessions_EndedAt",
                table: "SsoSessions");

            migrationBuilder.DropIndex(
                name: "IX_LogoutDeliveries_CompletedAt",
                table: "LogoutDeliveries");

            migrationBuilder.DropColumn(
                name: "IsPersistent",
                table: "SsoSessions");

            migrationBuilder.DropColumn(
                name: "SessionId",
                table: "SimpleSsoTokens");

            migrationBuilder.DropColumn(
                name: "SubjectName",
                table: "LogoutDeliveries");

            migrationBuilder.DropColumn(
                name: "BackChannelLogoutUrl",
                table: "Consumers");

            migrationBuilder.DropColumn(
                name: "MaxSessionAge",
                table: "Consumers");

            migrationBuilder.AddForeignKey(
                name: "FK_LogoutDeliveries_SsoSessions_SessionId",
                table: "LogoutDeliveries",
                column: "SessionId",
                principalTable: "SsoSessions",
                principalColumn: "Id",
                onDelete: ReferentialAction.Cascade);
        }
    }
}
