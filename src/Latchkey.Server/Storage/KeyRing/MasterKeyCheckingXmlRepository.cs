using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace Latchkey.Server.Storage.KeyRing;

/// <summary>
/// Refuses to hand out a key ring that holds elements encrypted under a master key this node lacks.
/// Without it, Data Protection would treat those keys as unusable and quietly create a new default key
/// (encrypted under the wrong master key) in the shared database, hiding the misconfiguration while
/// every existing consumer key stopped working.
/// </summary>
internal sealed class MasterKeyCheckingXmlRepository(IXmlRepository inner, MasterKeyRingProvider keys) : IXmlRepository
{
    public IXmlRepository Inner => inner;

    public IReadOnlyCollection<XElement> GetAllElements()
    {
        var elements = inner.GetAllElements();
        var ring = keys.Ring;
        foreach (var secret in elements.SelectMany(element => element.DescendantsAndSelf(AesGcmKeyRingFormat.Element)))
        {
            var keyId = (string?)secret.Attribute(AesGcmKeyRingFormat.MasterKeyIdAttribute) ?? "";
            if (ring.Find(keyId) is null)
            {
                throw new UnknownMasterKeyException(MasterKeyMessages.Unknown(keyId, ring));
            }
        }

        return elements;
    }

    public void StoreElement(XElement element, string friendlyName) => inner.StoreElement(element, friendlyName);
}
