using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Latchkey.Server.Storage.Migrations.Sqlite
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
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<Guid>(
                name: "SessionId",
                table: "SimpleSsoTokens",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "SubjectName",
                table: "LogoutDeliveries",
                type: "TEXT",
                maxLength: 256,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "BackChannelLogoutUrl",
                table: "Consumers",
                type: "TEXT",
                maxLength: 2048,
                nullable: true);

            migrationBuilder.AddColumn<TimeSpan>(
                name: "MaxSessionAge",
                table: "Consumers",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "AspNetUserPasskeys",
                columns: table => new
                {
                    CredentialId = table.Column<byte[]>(type: "BLOB", maxLength: 1024, nullable: false),
                    UserId = table.Column<Guid>(type: "TEXT", nullable: false),
                    LastUsedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    Data = table.Column<string>(type: "TEXT", nullable: false)
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
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    UserId = table.Column<Guid>(type: "TEXT", nullable: true),
                    State = table.Column<string>(type: "TEXT", maxLength: 8192, nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    ExpiresAt = table.Column<long>(type: "INTEGER", nullable: false)
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
