// HelperMethods: credential.store and credential.erase, what git's and docker's
// credential helpers ask (credd-protocol(7)).
#pragma once

#include "rpc_methods.hh"

namespace credd {

void credential_store(RpcCall call);
void credential_erase(RpcCall call);

} // namespace credd
