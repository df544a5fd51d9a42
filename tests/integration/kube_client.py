#!/usr/bin/python3
"""The Kubernetes API's second client in the integration tests: Debian's
python3-kubernetes (generated models that deserialize strictly, urllib3,
websocket-client), driven through the kubeconfig berth writes.

Usage: kube_client.py KUBECONFIG STEP [ARGS...]; each step checks what it
does itself (a failed check raises, so the exit status is not 0) and
prints lines for the .bats file to check. Run it with /usr/bin/python3:
another python3 on the PATH may lack the package.
"""
import sys
import time

from kubernetes import client, config, dynamic, watch
from kubernetes.client.rest import ApiException
from kubernetes.stream import stream

NS = "default"


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def until(what, fn, timeout=90):
    """fn() until it returns something true; its value."""
    end = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > end:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.5)


def ready_pods(core, selector):
    pods = core.list_namespaced_pod(NS, label_selector=selector).items
    return [p for p in pods if p.metadata.deletion_timestamp is None and
            p.status.container_statuses and
            p.status.container_statuses[0].ready]


def step_list(core, apps, dep):
    """Lists and reads of every kind served, through the typed models."""
    pods = core.list_namespaced_pod(NS)
    check(pods.metadata.resource_version, "PodList resourceVersion")
    for p in pods.items:
        check(p.metadata.creation_timestamp.tzinfo is not None,
              "creationTimestamp in UTC")
        check(p.metadata.owner_references[0].kind == "ReplicaSet",
              "pod owned by its ReplicaSet")
        check(p.spec.containers[0].image, "container image")
        print("pod", p.metadata.name, p.status.phase,
              p.status.container_statuses[0].ready)
    every = core.list_pod_for_all_namespaces(label_selector="app=" + dep)
    check(sorted(p.metadata.name for p in every.items) ==
          sorted(p.metadata.name for p in pods.items
                 if p.metadata.labels.get("app") == dep),
          "the all-namespaces list holds the same pods")
    print("all-namespaces", len(every.items))
    one = core.read_namespaced_pod(pods.items[0].metadata.name, NS)
    check(one.metadata.uid == pods.items[0].metadata.uid, "read pod")

    deps = apps.list_namespaced_deployment(NS)
    print("deployments", " ".join(d.metadata.name for d in deps.items))
    d = apps.read_namespaced_deployment(dep, NS)
    check(d.spec.selector.match_labels == {"app": dep}, "selector")
    check(d.status.observed_generation == d.metadata.generation,
          "observedGeneration")
    conds = {c.type: c for c in d.status.conditions}
    check(conds["Available"].status == "True", "Available")
    check(conds["Progressing"].last_update_time is not None,
          "a condition's lastUpdateTime")
    print("deployment", d.metadata.name, d.spec.replicas,
          d.status.ready_replicas, d.spec.template.spec.containers[0].image)
    d2 = apps.read_namespaced_deployment_status(dep, NS)
    check(d2.status.replicas == d.status.replicas, "deployment status")

    for rs in apps.list_namespaced_replica_set(
            NS, label_selector="app=" + dep).items:
        owner = rs.metadata.owner_references[0]
        check(owner.controller and owner.uid == d.metadata.uid,
              "ReplicaSet owned by its Deployment")
        print("replicaset", rs.metadata.name,
              rs.metadata.annotations["deployment.kubernetes.io/revision"],
              rs.status.replicas)
    for s in core.list_namespaced_service(NS).items:
        print("service", s.metadata.name, s.spec.type, s.spec.ports[0].port,
              s.spec.ports[0].target_port, s.spec.selector)
    evs = core.list_namespaced_event(NS)
    check(all(e.involved_object.kind for e in evs.items),
          "events name their object")
    print("events", len(evs.items) > 0)
    check(core.read_namespace(NS).status.phase == "Active", "namespace")
    print("namespaces", " ".join(n.metadata.name
                                 for n in core.list_namespace().items))


def events(w, core, what, stop, **kw):
    """The pod events of a watch until stop(event) holds, each printed."""
    seen = []
    for e in w.stream(core.list_namespaced_pod, NS, timeout_seconds=60,
                      _request_timeout=90, **kw):
        o = e["object"]
        check(isinstance(o, client.V1Pod), "events carry V1Pod objects")
        seen.append((e["type"], o.metadata.name,
                     int(o.metadata.resource_version)))
        print("event", e["type"], o.metadata.name,
              o.metadata.resource_version)
        if stop(e):
            w.stop()
            return seen
    raise AssertionError("the watch ended before " + what)


def step_watch_scale(core, apps, dep):
    """A watch across a scale up (SMP to /scale) and down (PUT of a Scale),
    resumed from the last resourceVersion it saw; 410 for one too old."""
    listed = core.list_namespaced_pod(NS, label_selector="app=" + dep)
    start = int(listed.metadata.resource_version)
    before = {p.metadata.name for p in listed.items}
    n = len(before)
    scale = apps.patch_namespaced_deployment_scale(
        dep, NS, {"spec": {"replicas": n + 1}})
    check(scale.spec.replicas == n + 1, "patched Scale")
    check(scale.status.selector == "app=" + dep, "Scale selector")

    w = watch.Watch()
    new = []

    def ready_new(e):
        o = e["object"]
        if o.metadata.name in before:
            return False
        if e["type"] == "ADDED":
            new.append(o.metadata.name)
        cs = o.status.container_statuses
        return e["type"] == "MODIFIED" and cs and cs[0].ready

    first = events(w, core, "the new pod is ready", ready_new,
                   label_selector="app=" + dep, resource_version=str(start))
    check(new, "the new pod came as ADDED")
    check(all(rv > start for _, _, rv in first),
          "nothing older than the list's resourceVersion")
    resume = w.resource_version
    check(int(resume) == first[-1][2], "the watch keeps the last version")

    cur = apps.read_namespaced_deployment_scale(dep, NS)
    cur.spec.replicas = n
    done = apps.replace_namespaced_deployment_scale(dep, NS, cur)
    check(done.spec.replicas == n, "replaced Scale")

    w2 = watch.Watch()
    second = events(w2, core, "a pod is deleted",
                    lambda e: e["type"] == "DELETED",
                    label_selector="app=" + dep, resource_version=resume)
    check(all(rv > int(resume) for _, _, rv in second),
          "a resumed watch sends only what is newer")
    check(any(t == "MODIFIED" for t, _, _ in second),
          "the leaving pod is MODIFIED (Terminating) first")

    # No resourceVersion: every current pod first, as ADDED.
    w3 = watch.Watch()
    added = []
    for e in w3.stream(core.list_namespaced_pod, NS, timeout_seconds=5,
                       label_selector="app=" + dep, _request_timeout=30):
        added.append(e["type"])
        if len(added) == n:
            w3.stop()
    check(added == ["ADDED"] * n, "synthetic ADDED events: %s" % added)
    print("synthetic", len(added))

    try:
        for e in watch.Watch().stream(core.list_namespaced_pod, NS,
                                      resource_version="1",
                                      timeout_seconds=5,
                                      _request_timeout=30):
            raise AssertionError("an event from an expired version")
    except ApiException as e:
        check(e.status == 410, "410 for an expired version: %s" % e.status)
        print("expired", e.status, e.reason)


def step_patch_image(core, apps, dep, image):
    """A strategic merge patch of the image: a new ReplicaSet, rolled out."""
    d = apps.read_namespaced_deployment(dep, NS)
    name = d.spec.template.spec.containers[0].name
    old = {rs.metadata.name for rs in apps.list_namespaced_replica_set(
        NS, label_selector="app=" + dep).items}
    p = apps.patch_namespaced_deployment(dep, NS, {"spec": {"template": {
        "spec": {"containers": [{"name": name, "image": image}]}}}})
    check(p.metadata.generation > d.metadata.generation, "generation moves")
    check(p.spec.template.spec.containers[0].image == image, "patched")

    def complete():
        x = apps.read_namespaced_deployment_status(dep, NS)
        s = x.status
        prog = [c for c in s.conditions if c.type == "Progressing"][0]
        return (s.observed_generation >= x.metadata.generation and
                s.updated_replicas == x.spec.replicas and
                s.replicas == x.spec.replicas and
                s.available_replicas == x.spec.replicas and
                prog.reason == "NewReplicaSetAvailable") and x

    x = until("the rollout", complete)
    rss = apps.list_namespaced_replica_set(
        NS, label_selector="app=" + dep).items
    fresh = [rs for rs in rss if rs.metadata.name not in old]
    check(len(fresh) == 1, "one new ReplicaSet: %s" %
          [rs.metadata.name for rs in rss])
    rs = fresh[0]
    check(rs.spec.template.spec.containers[0].image == image, "its image")
    check(rs.metadata.annotations["deployment.kubernetes.io/revision"] ==
          x.metadata.annotations["deployment.kubernetes.io/revision"],
          "the new ReplicaSet holds the deployment's revision")
    check(rs.status.ready_replicas == x.spec.replicas, "its pods ready")
    print("rolled-out", rs.metadata.name,
          rs.metadata.annotations["deployment.kubernetes.io/revision"])


def step_log(core, apps, dep):
    pod = ready_pods(core, "app=" + dep)[0].metadata.name
    text = core.read_namespaced_pod_log(pod, NS, tail_lines=1)
    print("log", text.strip())
    check(core.read_namespaced_pod_log(pod, NS, tail_lines=0) == "",
          "tailLines=0")


def step_write(core, apps, image, port):
    """What scripts do besides kubectl's paths: version and discovery
    (asked with a trailing slash), objects created from models that leave
    apiVersion and kind out, the status subresource, the dynamic client,
    deletes."""
    v = client.VersionApi().get_code()
    check(v.major == "1" and v.minor == "32", "version")
    check(client.CoreApi().get_api_versions().versions == ["v1"], "/api/")
    check("apps" in [g.name for g in
                     client.ApisApi().get_api_versions().groups], "/apis/")
    check("deployments" in [r.name for r in
                            apps.get_api_resources().resources],
          "/apis/apps/v1/")
    labels = {"app": "py"}
    dep = client.V1Deployment(
        metadata=client.V1ObjectMeta(name="py"),
        spec=client.V1DeploymentSpec(
            replicas=1, selector=client.V1LabelSelector(match_labels=labels),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels=labels),
                spec=client.V1PodSpec(containers=[client.V1Container(
                    name="web", image=image, command=["/bin/echo-version"],
                    args=["--listen", ":8080"],
                    ports=[client.V1ContainerPort(container_port=8080)])]))))
    made = apps.create_namespaced_deployment(NS, dep)
    check(made.kind == "Deployment" and made.metadata.uid, "created")
    svc = client.V1Service(
        metadata=client.V1ObjectMeta(name="py"),
        spec=client.V1ServiceSpec(selector=labels, ports=[
            client.V1ServicePort(port=int(port), target_port=8080)]))
    s = core.create_namespaced_service(NS, svc)
    check(s.spec.ports[0].port == int(port), "service created")
    until("the pod", lambda: ready_pods(core, "app=py"))
    check(apps.read_namespaced_deployment_status(
        "py", NS).status.ready_replicas == 1, "deployment status")
    check(core.read_namespaced_service_status("py", NS).metadata.name == "py",
          "service status")
    dyn = dynamic.DynamicClient(client.ApiClient())
    names = [d.metadata.name for d in dyn.resources.get(
        api_version="apps/v1", kind="Deployment").get(namespace=NS).items]
    check("py" in names, "the dynamic client lists it: %s" % names)
    print("made py", port)


def step_delete(core, apps):
    st = core.delete_namespaced_service("py", NS)
    check(st.status == "Success", "service deleted")
    st = apps.delete_namespaced_deployment("py", NS)
    check(st.status == "Success", "deployment deleted")
    until("the pods to go",
          lambda: not core.list_namespaced_pod(NS, label_selector="app=py")
          .items)
    try:
        apps.read_namespaced_deployment("py", NS)
        raise AssertionError("the deployment is still there")
    except ApiException as e:
        check(e.status == 404, "404 after the delete")
    print("deleted py")


def step_exec(core, apps, pod):
    """exec over v4.channel.k8s.io (the package's only protocol)."""
    out = stream(core.connect_get_namespaced_pod_exec, pod, NS,
                 command=["sh", "-c", "echo from-python; echo e >&2"],
                 stderr=True, stdin=False, stdout=True, tty=False)
    print(out.strip())
    resp = stream(core.connect_get_namespaced_pod_exec, pod, NS,
                  command=["sh", "-c", "exit 3"], stderr=True, stdin=False,
                  stdout=True, tty=False, _preload_content=False)
    resp.run_forever(timeout=10)
    print("exit", resp.returncode)


STEPS = {
    "list": step_list,
    "watch-scale": step_watch_scale,
    "patch-image": step_patch_image,
    "log": step_log,
    "write": step_write,
    "delete": step_delete,
    "exec": step_exec,
}


def main():
    config.load_kube_config(config_file=sys.argv[1])
    STEPS[sys.argv[2]](client.CoreV1Api(), client.AppsV1Api(), *sys.argv[3:])


if __name__ == "__main__":
    main()
