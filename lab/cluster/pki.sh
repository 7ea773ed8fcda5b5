# shellcheck shell=bash
# The lab's certificate authority, certificates and kubeconfigs (openssl), and the encryption-at-rest config.
# Part of lab/cluster/lib.sh (sourced by it, after its settings; see docs/lab.md).

# Settings that are baked into certificates/state; a change resets the lab.
lab_fingerprint() {
  echo "k8s=$K8S_VERSION addr=$LAB_ADDR svc=$SERVICE_CIDR pod=$POD_CIDR api=$API_PORT etcd=$ETCD_PORT/$ETCD_PEER_PORT node=$NODE_NAME$FINGERPRINT_EXTRA"
}

sign_cert() { # name subject ext(client|server|peer) [san]
  local name="$1" subj="$2" kind="$3" san="${4:-}" eku
  case "$kind" in
    client) eku=clientAuth ;;
    server) eku=serverAuth ;;
    peer) eku="serverAuth,clientAuth" ;;
  esac
  openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/$name.key" 2>/dev/null
  chmod 600 "$PKI/$name.key"
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$eku"
    [ -n "$san" ] && echo "subjectAltName=$san"
  } >"$PKI/$name.ext"
  openssl req -new -key "$PKI/$name.key" -subj "$subj" -out "$PKI/$name.csr" 2>/dev/null
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 825 -sha256 -extfile "$PKI/$name.ext" -out "$PKI/$name.crt" 2>/dev/null
  rm -f "$PKI/$name.csr" "$PKI/$name.ext"
}

kubeconfig() { # name cert-name
  local f="$KCFG/$1.kubeconfig"
  cat >"$f.tmp" <<KC
apiVersion: v1
kind: Config
clusters:
- name: podlab
  cluster:
    server: https://$APISERVER_BIND_ADDR:$API_PORT
    certificate-authority-data: $(base64 -w0 <"$PKI/ca.crt")
users:
- name: $1
  user:
    client-certificate-data: $(base64 -w0 <"$PKI/$2.crt")
    client-key-data: $(base64 -w0 <"$PKI/$2.key")
contexts:
- name: podlab
  context: {cluster: podlab, user: $1}
current-context: podlab
KC
  chmod 600 "$f.tmp"
  mv -f "$f.tmp" "$f"
}

# Secrets are encrypted in etcd (CIS 1.2.27/1.2.28) with a key made with the PKI
# and kept beside it (0600); a new PKI means a new etcd, so no data outlives its key.
encryption_config_create() {
  local f="$PKI/encryption-config.yaml"
  (umask 077 && cat >"$f.tmp" <<ENC
apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources: [secrets]
    providers:
      - secretbox:
          keys:
            - name: key1
              secret: $(head -c 32 /dev/urandom | base64 -w0)
      - identity: {}
ENC
  )
  mv -f "$f.tmp" "$f"
}

# A certificate with its key, signed by the lab CA, valid for 30 more days (renewed well before expiry).
cert_ok() {
  [ -s "$PKI/$1.key" ] && openssl verify -CAfile "$PKI/ca.crt" "$PKI/$1.crt" >/dev/null 2>&1 &&
    openssl x509 -in "$PKI/$1.crt" -noout -checkend $((30 * 86400)) >/dev/null 2>&1
}

pki_ok() {
  local c
  [ -s "$PKI/ca.key" ] && [ -s "$PKI/sa.key" ] && [ -s "$PKI/sa.pub" ] && [ -s "$PKI/encryption-config.yaml" ] || return 1
  for c in apiserver apiserver-kubelet-client etcd-server etcd-client admin controller-manager scheduler kwok $PKI_EXTRA_CERTS; do
    cert_ok "$c" || return 1
  done
  for c in admin controller-manager scheduler kwok $PKI_EXTRA_KUBECONFIGS; do [ -s "$KCFG/$c.kubeconfig" ] || return 1; done
}

pki_create() {
  log "creating CA, certificates and kubeconfigs in $PKI"
  rm -rf "$PKI" "$KCFG"
  mkdir -p "$PKI" "$KCFG"
  chmod 700 "$PKI" "$KCFG"
  openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/ca.key" 2>/dev/null
  openssl req -x509 -new -key "$PKI/ca.key" -subj "/CN=podlab-ca" -days 3650 -sha256 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -out "$PKI/ca.crt" 2>/dev/null
  openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null
  openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  encryption_config_create
  sign_cert apiserver "/CN=kube-apiserver" server \
    "DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:127.0.0.1,IP:$SERVICE_IP1,IP:$LAB_ADDR"
  sign_cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" client
  sign_cert etcd-server "/CN=podlab-etcd" peer "DNS:localhost,IP:127.0.0.1"
  sign_cert etcd-client "/CN=kube-apiserver-etcd-client" client
  sign_cert admin "/O=system:masters/CN=podlab-admin" client
  sign_cert controller-manager "/CN=system:kube-controller-manager" client
  sign_cert scheduler "/CN=system:kube-scheduler" client
  # KWOK impersonates kubelets for many nodes and force-deletes pods: cluster-admin.
  sign_cert kwok "/O=system:masters/CN=podlab-kwok" client
  chmod 600 "$PKI"/*.key
  kubeconfig admin admin
  kubeconfig controller-manager controller-manager
  kubeconfig scheduler scheduler
  kubeconfig kwok kwok
  if declare -F node_pki_create >/dev/null; then node_pki_create; fi
}
