using System.Security.Cryptography;
using System.Xml.Linq;
using Latchkey.Server.Storage.KeyRing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

// Not "...Tests.Storage": that namespace would shadow Latchkey.Server.Storage for "Storage.X" references elsewhere in the tests.
namespace Latchkey.Server.Tests.KeyRing;

/// <summary>The encryptor/decryptor pair on its own: round trip, fresh nonces, tamper detection, key selection.</summary>
public sealed class AesGcmXmlEncryptionTests
{
    private static readonly XElement Secret = XElement.Parse(
        "<masterKey xmlns:d=\"http://schemas.asp.net/2015/03/dataProtection\" d:requiresEncryption=\"true\"><value>c2VjcmV0IGtleSBtYXRlcmlhbA==</value></masterKey>");

    [Fact]
    public void Round_trips_and_hides_the_plaintext()
    {
        var (encryptor, decryptor) = Pair(MasterKey.NewBase64());

        var info = encryptor.Encrypt(new XElement(Secret));

        Assert.Equal(typeof(AesGcmXmlDecryptor), info.DecryptorType);
        Assert.DoesNotContain("c2VjcmV0", info.EncryptedElement.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("<value>", info.EncryptedElement.ToString(), StringComparison.Ordinal);
        Assert.True(XNode.DeepEquals(Secret, decryptor.Decrypt(info.EncryptedElement)));
    }

    [Fact]
    public void Every_element_gets_its_own_nonce()
    {
        var (encryptor, _) = Pair(MasterKey.NewBase64());

        var nonces = Enumerable.Range(0, 20).Select(_ => (string)encryptor.Encrypt(new XElement(Secret)).EncryptedElement.Element("nonce")!).ToList();

        Assert.Equal(nonces.Count, nonces.Distinct().Count());
    }

    [Theory]
    [InlineData("ciphertext")]
    [InlineData("tag")]
    [InlineData("nonce")]
    public void A_flipped_bit_is_detected(string part)
    {
        var (encryptor, decryptor) = Pair(MasterKey.NewBase64());
        var element = encryptor.Encrypt(new XElement(Secret)).EncryptedElement;
        var bytes = Convert.FromBase64String((string)element.Element(part)!);
        bytes[0] ^= 1;
        element.Element(part)!.Value = Convert.ToBase64String(bytes);

        var failure = Assert.ThrowsAny<CryptographicException>(() => decryptor.Decrypt(element));

        Assert.Contains("altered", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_key_id_is_authenticated()
    {
        var keyA = MasterKey.NewBase64();
        var keyB = MasterKey.NewBase64();
        var (encryptor, _) = Pair(keyA);
        var (_, decryptorWithBoth) = Pair(keyB, keyA);
        var element = encryptor.Encrypt(new XElement(Secret)).EncryptedElement;
        // Point the element at the other configured key: decryption must fail, not try the key it names.
        element.SetAttributeValue("masterKeyId", MasterKey.TryParse(keyB)!.Id);

        Assert.ThrowsAny<CryptographicException>(() => decryptorWithBoth.Decrypt(element));
    }

    [Fact]
    public void Previous_keys_decrypt_and_unknown_keys_are_named_in_the_error()
    {
        var keyA = MasterKey.NewBase64();
        var (encryptorA, _) = Pair(keyA);
        var element = encryptorA.Encrypt(new XElement(Secret)).EncryptedElement;

        var (_, rotated) = Pair(MasterKey.NewBase64(), keyA);
        Assert.True(XNode.DeepEquals(Secret, rotated.Decrypt(element)));

        var (_, stranger) = Pair(MasterKey.NewBase64());
        var failure = Assert.Throws<UnknownMasterKeyException>(() => stranger.Decrypt(element));
        Assert.Contains(MasterKey.TryParse(keyA)!.Id, failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(keyA, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_format_version_is_refused()
    {
        var (encryptor, decryptor) = Pair(MasterKey.NewBase64());
        var element = encryptor.Encrypt(new XElement(Secret)).EncryptedElement;
        element.SetAttributeValue("version", "2");

        var failure = Assert.ThrowsAny<CryptographicException>(() => decryptor.Decrypt(element));

        Assert.Contains("version", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Key_ids_depend_on_the_key_only()
    {
        var key = MasterKey.NewBase64();

        Assert.Equal(MasterKey.TryParse(key)!.Id, MasterKey.TryParse(" " + key + "\n")!.Id);
        Assert.NotEqual(MasterKey.TryParse(key)!.Id, MasterKey.TryParse(MasterKey.NewBase64())!.Id);
        Assert.Equal(16, MasterKey.TryParse(key)!.Id.Length);
    }

    private static (AesGcmXmlEncryptor Encryptor, AesGcmXmlDecryptor Decryptor) Pair(string current, params string[] previous)
    {
        var settings = new Dictionary<string, string?> { [MasterKeyRingProvider.MasterKeySetting] = current };
        for (var i = 0; i < previous.Length; i++)
        {
            settings[$"{MasterKeyRingProvider.PreviousMasterKeysSetting}:{i}"] = previous[i];
        }

        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build())
            .AddSingleton(typeof(Microsoft.Extensions.Logging.ILogger<>), typeof(NullLogger<>))
            .AddSingleton<MasterKeyRingProvider>()
            .BuildServiceProvider();
        var provider = services.GetRequiredService<MasterKeyRingProvider>();
        provider.Load(Path.GetTempPath()); // the key is configured, so no file is touched
        return (new AesGcmXmlEncryptor(provider), new AesGcmXmlDecryptor(services));
    }
}
