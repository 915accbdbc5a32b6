@0xc6963957eb922ff8;
# The answer to a request whose envelope could not be decoded at all (bad framing, a kind tag
# that does not match the atom, a forbidden field value): there is no response of the request's
# own kind to carry the error, so this one does. Framing and conventions: see common.capnp.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("sluice::schema::wire");

using Common = import "common.capnp";

struct ErrorResponse {
  errorCode @0 :Common.ErrorCode;
  errorMessage @1 :Text;
}
