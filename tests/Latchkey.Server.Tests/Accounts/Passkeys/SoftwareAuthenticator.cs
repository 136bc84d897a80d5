using System.Buffers.Binary;
using System.Buffers.Text;
using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Latchkey.Server.Tests.Accounts.Passkeys;

/// <summary>
/// A WebAuthn authenticator in software (ES256, "none" attestation), playing the browser's part too: it turns the server's options
/// JSON into the JSON of a PublicKeyCredential exactly as <c>PublicKeyCredential.toJSON()</c> would. Knobs let tests forge what a
/// real browser never would (another origin, a bad signature, no user verification).
/// </summary>
public sealed class SoftwareAuthenticator : IDisposable
{
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private byte[]? _userHandle;

    public SoftwareAuthenticator(string origin = "http://localhost", string rpId = "localhost")
    {
        Origin = origin;
        RpId = rpId;
    }

    public string Origin { get; set; }

    public string RpId { get; set; }

    public byte[] CredentialId { get; } = RandomNumberGenerator.GetBytes(16);

    public string CredentialIdText => Base64Url.EncodeToString(CredentialId);

    public uint SignCount { get; private set; }

    /// <summary>Answers <c>navigator.credentials.create</c> for the given creation options.</summary>
    public JsonObject Create(JsonNode options, bool userVerified = true)
    {
        var challenge = options["challenge"]!.GetValue<string>();
        _userHandle = Base64Url.DecodeFromChars(options["user"]!["id"]!.GetValue<string>());
        var clientData = ClientData("webauthn.create", challenge);

        var parameters = _key.ExportParameters(includePrivateParameters: false);
        var cose = new CborWriter(CborConformanceMode.Lax);
        cose.WriteStartMap(5);
        cose.WriteInt32(1);
        cose.WriteInt32(2); // kty: EC2
        cose.WriteInt32(3);
        cose.WriteInt32(-7); // alg: ES256
        cose.WriteInt32(-1);
        cose.WriteInt32(1); // crv: P-256
        cose.WriteInt32(-2);
        cose.WriteByteString(parameters.Q.X!);
        cose.WriteInt32(-3);
        cose.WriteByteString(parameters.Q.Y!);
        cose.WriteEndMap();

        var attested = new List<byte>();
        attested.AddRange(new byte[16]); // AAGUID: none
        var length = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(length, (ushort)CredentialId.Length);
        attested.AddRange(length);
        attested.AddRange(CredentialId);
        attested.AddRange(cose.Encode());

        var authenticatorData = AuthenticatorData(userVerified, attestedCredentialData: [.. attested]);
        var attestation = new CborWriter(CborConformanceMode.Lax);
        attestation.WriteStartMap(3);
        attestation.WriteTextString("fmt");
        attestation.WriteTextString("none");
        attestation.WriteTextString("attStmt");
        attestation.WriteStartMap(0);
        attestation.WriteEndMap();
        attestation.WriteTextString("authData");
        attestation.WriteByteString(authenticatorData);
        attestation.WriteEndMap();

        return new JsonObject
        {
            ["id"] = CredentialIdText,
            ["rawId"] = CredentialIdText,
            ["type"] = "public-key",
            ["authenticatorAttachment"] = "platform",
            ["clientExtensionResults"] = new JsonObject(),
            ["response"] = new JsonObject
            {
                ["clientDataJSON"] = Base64Url.EncodeToString(clientData),
                ["attestationObject"] = Base64Url.EncodeToString(attestation.Encode()),
                ["transports"] = new JsonArray("internal"),
            },
        };
    }

    /// <summary>Answers <c>navigator.credentials.get</c> for the given request options.</summary>
    public JsonObject Get(JsonNode options, bool userVerified = true, bool forgeSignature = false, string? challengeOverride = null)
    {
        var challenge = challengeOverride ?? options["challenge"]!.GetValue<string>();
        var clientData = ClientData("webauthn.get", challenge);
        SignCount++;
        var authenticatorData = AuthenticatorData(userVerified, attestedCredentialData: null);
        byte[] signed = [.. authenticatorData, .. SHA256.HashData(clientData)];
        var signature = _key.SignData(signed, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        if (forgeSignature)
        {
            signature[^1] ^= 0x01;
        }

        return new JsonObject
        {
            ["id"] = CredentialIdText,
            ["rawId"] = CredentialIdText,
            ["type"] = "public-key",
            ["authenticatorAttachment"] = "platform",
            ["clientExtensionResults"] = new JsonObject(),
            ["response"] = new JsonObject
            {
                ["clientDataJSON"] = Base64Url.EncodeToString(clientData),
                ["authenticatorData"] = Base64Url.EncodeToString(authenticatorData),
                ["signature"] = Base64Url.EncodeToString(signature),
                ["userHandle"] = _userHandle is null ? null : Base64Url.EncodeToString(_userHandle),
            },
        };
    }

    /// <summary>For an authenticator the server never saw: the user handle it would carry.</summary>
    public void PretendRegisteredFor(Guid userId) => _userHandle = Encoding.UTF8.GetBytes(userId.ToString());

    public void Dispose() => _key.Dispose();

    private byte[] ClientData(string type, string challenge) =>
        JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["type"] = type,
            ["challenge"] = challenge,
            ["origin"] = Origin,
            ["crossOrigin"] = false,
        });

    private byte[] AuthenticatorData(bool userVerified, byte[]? attestedCredentialData)
    {
        const byte UserPresent = 0x01, UserVerified = 0x04, AttestedData = 0x40;
        var flags = (byte)(UserPresent | (userVerified ? UserVerified : 0) | (attestedCredentialData is null ? 0 : AttestedData));
        var counter = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(counter, SignCount);
        return [.. SHA256.HashData(Encoding.UTF8.GetBytes(RpId)), flags, .. counter, .. attestedCredentialData ?? []];
    }
}
