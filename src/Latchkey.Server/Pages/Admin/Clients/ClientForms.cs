using System.ComponentModel.DataAnnotations;
using Latchkey.Server.Oidc.Clients;

namespace Latchkey.Server.Pages.Admin.Clients;

/// <summary>The settings of a client as edited in a form; URIs one per line.</summary>
public class ClientSettingsInput
{
    [Display(Name = "Redirect URIs (one per line)")]
    public string? RedirectUris { get; set; }

    [Display(Name = "Post-logout redirect URIs (one per line)")]
    public string? PostLogoutRedirectUris { get; set; }

    public List<string> Grants { get; set; } = [];

    public List<string> Scopes { get; set; } = [];

    [Display(Name = "First party (users are not asked for consent)")]
    public bool FirstParty { get; set; }

    [StringLength(200)]
    [Display(Name = "Display name")]
    public string? DisplayName { get; set; }

    [StringLength(2000)]
    [Display(Name = "Back-channel logout URI")]
    public string? BackchannelLogoutUri { get; set; }

    [StringLength(2000)]
    [Display(Name = "Front-channel logout URI")]
    public string? FrontchannelLogoutUri { get; set; }

    [Display(Name = "ID token signing algorithm")]
    public string IdTokenSignedResponseAlg { get; set; } = "RS256";

    public ClientDefinition ToDefinition(string clientId, string type) => new(
        clientId,
        type,
        UriList.Parse(RedirectUris),
        UriList.Parse(PostLogoutRedirectUris),
        Grants,
        Scopes,
        FirstParty,
        DisplayName,
        string.IsNullOrWhiteSpace(BackchannelLogoutUri) ? null : BackchannelLogoutUri.Trim(),
        string.IsNullOrWhiteSpace(FrontchannelLogoutUri) ? null : FrontchannelLogoutUri.Trim(),
        IdTokenSignedResponseAlg);

    public static T From<T>(ClientSummary client)
        where T : ClientSettingsInput, new() => new()
        {
            RedirectUris = UriList.Format(client.RedirectUris),
            PostLogoutRedirectUris = UriList.Format(client.PostLogoutRedirectUris),
            Grants = [.. client.Grants],
            Scopes = [.. client.Scopes],
            FirstParty = client.Settings.FirstParty,
            DisplayName = client.DisplayName,
            BackchannelLogoutUri = client.Settings.BackchannelLogoutUri,
            FrontchannelLogoutUri = client.Settings.FrontchannelLogoutUri,
            IdTokenSignedResponseAlg = client.Settings.IdTokenSignedResponseAlg ?? "RS256",
        };
}

public sealed class CreateClientInput : ClientSettingsInput
{
    [Required]
    [StringLength(100)]
    [Display(Name = "Client ID")]
    public string? ClientId { get; set; }

    [Required]
    public string Type { get; set; } = ClientTypes.Confidential;
}

public sealed class EditClientInput : ClientSettingsInput;

internal static class UriList
{
    public static IReadOnlyList<string> Parse(string? text) =>
        (text ?? "").Split(['\n', '\r', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public static string Format(IEnumerable<string> uris) => string.Join("\n", uris);
}
