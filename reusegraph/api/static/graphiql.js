// Each example opens in its own tab; the comment at its top says what it answers.
// In production mode introspection is off, so the page brings the published schema.
// A link "#query=...&variables=..." (the analyst page's "show the query") opens that query.
(function () {
  const data = JSON.parse(document.getElementById("page-data").textContent);
  const asked = new URLSearchParams(window.location.hash.slice(1));
  // Subscriptions: graphql-transport-ws on the same path; the headers pane's Authorization
  // travels in connection_init (a login's session cookie counts without it).
  const socketUrl = (window.location.protocol === "https:" ? "wss://" : "ws://") +
    window.location.host + "/graphql";
  const fetcher = GraphiQL.createFetcher({ url: "/graphql", subscriptionUrl: socketUrl });
  const explorer = GraphiQLPluginExplorer.explorerPlugin();
  window.reusegraphLogin(document.getElementById("login"));
  const storage = {
    getItem: (k) => sessionStorage.getItem(k),
    setItem: (k, v) => sessionStorage.setItem(k, v),
    removeItem: (k) => sessionStorage.removeItem(k),
    clear: () => sessionStorage.clear(),
    length: 0,
  };
  const props = {
    fetcher,
    schema: data.schema === null ? undefined : data.schema,
    defaultTabs: data.defaultTabs,
    defaultEditorToolsVisibility: true,
    plugins: [explorer],
    storage,
  };
  if (asked.get("query")) {
    props.query = asked.get("query");
    props.variables = asked.get("variables") || undefined;
  }
  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, props)
  );
})();
