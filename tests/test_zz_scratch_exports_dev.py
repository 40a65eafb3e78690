import io
from tests.support.http import GraphQLClient
import openpyxl


async def test_explore(demo_api: GraphQLClient) -> None:
    http = demo_api.http
    r = await http.get("/export/processes.csv", params={"municipality": "NO-5001"})
    print(r.status_code, r.headers)
    print(r.text[:3000])
    r = await http.get("/export/processes.json", params={"municipality": "DK-0746", "phase": "OPERATION"})
    print(r.status_code, r.text[:2500])
    r = await http.get("/export/processes.xlsx", params={"country": "DK"})
    print(r.status_code, len(r.content))
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    ws = wb.active
    rows = list(ws.iter_rows(values_only=True))
    print(len(rows), rows[0][:5], rows[1])
    for bad in [{"phase": "FOO"}, {"bogus": "1"}, {"municipality": "DK-9999"}, {"kle": "x"}, {"updatedSince": "yesterday"}]:
        r = await http.get("/export/processes.csv", params=bad)
        print(r.status_code, r.text)
    r = await http.get("/export/processes.pdf")
    print(r.status_code, r.text)
