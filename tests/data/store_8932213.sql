BEGIN TRANSACTION;
CREATE TABLE acknowledgements (
	incident_id VARCHAR(36) NOT NULL, 
	person VARCHAR(128) NOT NULL, 
	role VARCHAR(64) NOT NULL, 
	via VARCHAR(16) NOT NULL, 
	at DATETIME NOT NULL, 
	PRIMARY KEY (incident_id, person), 
	FOREIGN KEY(incident_id) REFERENCES incidents (id)
);
INSERT INTO "acknowledgements" VALUES('e745022d-4f78-47b6-805d-9c9e14aebdf9','Dian Mulyana Kusnadi','kakanwil','cli','2026-11-30 05:47:46.619596');
INSERT INTO "acknowledgements" VALUES('e745022d-4f78-47b6-805d-9c9e14aebdf9','Sinta Rahayu Kurniasih','humas-kanwil','ui','2026-11-30 05:47:47.426403');
CREATE TABLE alerts (
	id VARCHAR(36) NOT NULL, 
	received_at DATETIME NOT NULL, 
	source VARCHAR(64) NOT NULL, 
	raw TEXT NOT NULL, 
	url TEXT, 
	status VARCHAR(16) NOT NULL, 
	reason TEXT, 
	unit_id VARCHAR(64), 
	category VARCHAR(64), 
	severity VARCHAR(16), 
	incident_id VARCHAR(36), 
	flow_run_id VARCHAR(36), 
	reasons JSON NOT NULL, 
	text TEXT, 
	PRIMARY KEY (id), 
	FOREIGN KEY(incident_id) REFERENCES incidents (id)
);
INSERT INTO "alerts" VALUES('3b06755d-4906-4433-ae6c-c9b6b794cbdf','2026-11-30 05:47:55.609460','pemantau','{"text": "Tiga narapidana kabur dari Lapas Cipinang"}',NULL,'started',NULL,'lapas-cipinang','keamanan-ketertiban','sedang','ed699ba1-2580-4a6b-9620-8402a60e6f59','1514720b-495e-4264-888d-547d2d09371b','["unit ''lapas cipinang'' \u2192 lapas-cipinang", "relevan: ''narapidana'' +2, ''lapas'' +2 \u2192 4 \u2265 2", "kata ''kabur'' \u2192 keamanan-ketertiban (+4)", "skor 4 \u2265 4 \u2192 start", "dasar: ''kabur'' \u2192 sedang", "tingkat: dasar sedang + 0 eskalasi \u2192 sedang"]','Tiga narapidana kabur dari Lapas Cipinang');
INSERT INTO "alerts" VALUES('074c4be9-3600-4eff-b1db-5b344d665382','2026-11-30 05:47:55.685470','meltwater','{kabur',NULL,'rejected','body is not JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('7e04c24c-f8ff-457c-95c0-8ee8ecf18b32','2026-11-30 05:47:55.690386','meltwater','{"title": "tanpa teks", "text": "Pameran karya warga binaan"}',NULL,'ignored',NULL,NULL,NULL,NULL,NULL,NULL,'["relevan: ''warga binaan'' +2 \u2192 2 \u2265 2", "konteks ''pameran'' \u2192 semua kategori (-4)", "tidak ada sinyal krisis (skor -4 < 1) \u2192 ignore"]',NULL);
INSERT INTO "alerts" VALUES('d9bc60e8-a516-45cd-9508-e2bb7ff9fd8d','2026-11-30 05:47:55.691523','meltwater','{"text": "Rapat koordinasi humas pemasyarakatan", "reach": -5}',NULL,'rejected','[1].reach: Input should be greater than or equal to 0',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('fae3db6a-7ecd-4831-8c69-0215b078df8b','2026-11-30 05:47:55.704245','meltwater','{"text": "Tiga narapidana kabur dari Lapas Pangkalpinang dini hari tadi", "url": "https://berita.example/a"}','https://berita.example/a','started',NULL,'lapas-pangkalpinang','keamanan-ketertiban','sedang','05ade90f-b195-4d4d-836d-ff78480eaa9d','801a3d13-e5d7-40a3-a4ca-345b4b48563e','["unit ''lapas pangkalpinang'' \u2192 lapas-pangkalpinang", "relevan: ''narapidana'' +2, ''lapas'' +2 \u2192 4 \u2265 2", "kata ''kabur'' \u2192 keamanan-ketertiban (+4)", "skor 4 \u2265 4 \u2192 start", "dasar: ''kabur'' \u2192 sedang", "tingkat: dasar sedang + 0 eskalasi \u2192 sedang"]','Tiga narapidana kabur dari Lapas Pangkalpinang dini hari tadi');
INSERT INTO "alerts" VALUES('be7c0a9b-5bb2-4408-acfc-8602038ff129','2026-11-30 05:47:55.779883','meltwater','{"url": "https://berita.example/a", "title": "Napi kabur", "content": "Tiga narapidana kabur dari Lapas Pangkalpinang dini hari tadi"}','https://berita.example/a','duplicate',NULL,'lapas-pangkalpinang','keamanan-ketertiban','sedang','05ade90f-b195-4d4d-836d-ff78480eaa9d','801a3d13-e5d7-40a3-a4ca-345b4b48563e','["unit ''lapas pangkalpinang'' \u2192 lapas-pangkalpinang", "relevan: ''napi'' +2, ''narapidana'' +2, ''lapas'' +2 \u2192 6 \u2265 2", "kata ''kabur'' \u2192 keamanan-ketertiban (+4)", "skor 4 \u2265 4 \u2192 start", "dasar: ''kabur'' \u2192 sedang", "tingkat: dasar sedang + 0 eskalasi \u2192 sedang", "same URL as an earlier alert"]','Napi kabur. Tiga narapidana kabur dari Lapas Pangkalpinang dini hari tadi');
INSERT INTO "alerts" VALUES('58b2f063-8238-44ff-a534-71b6fadeb2d0','2026-11-30 05:47:55.786464','meltwater','{"url": "https://lain.example/b", "content": "Tiga narapidana kabur dari Lapas Pangkalpinang dini hari tadi, kata petugas"}','https://lain.example/b','duplicate',NULL,'lapas-pangkalpinang','keamanan-ketertiban','sedang','05ade90f-b195-4d4d-836d-ff78480eaa9d','801a3d13-e5d7-40a3-a4ca-345b4b48563e','["unit ''lapas pangkalpinang'' \u2192 lapas-pangkalpinang", "relevan: ''narapidana'' +2, ''lapas'' +2 \u2192 4 \u2265 2", "kata ''kabur'' \u2192 keamanan-ketertiban (+4)", "skor 4 \u2265 4 \u2192 start", "dasar: ''kabur'' \u2192 sedang", "tingkat: dasar sedang + 0 eskalasi \u2192 sedang", "near-duplicate of an earlier alert (similarity 1.00)"]','Tiga narapidana kabur dari Lapas Pangkalpinang dini hari tadi, kata petugas');
INSERT INTO "alerts" VALUES('b6c43e95-6068-4de7-bb5d-475efc6dcc40','2026-11-30 05:47:55.851636','meltwater','{"url": "https://lain.example/c", "content": "Petugas Lapas Pangkalpinang masih mencari warga binaan yang melarikan diri"}','https://lain.example/c','attached',NULL,'lapas-pangkalpinang','keamanan-ketertiban','sedang','05ade90f-b195-4d4d-836d-ff78480eaa9d','801a3d13-e5d7-40a3-a4ca-345b4b48563e','["unit ''lapas pangkalpinang'' \u2192 lapas-pangkalpinang", "relevan: ''lapas'' +2, ''warga binaan'' +2 \u2192 4 \u2265 2", "kata ''melarikan diri'' \u2192 keamanan-ketertiban (+4)", "skor 4 \u2265 4 \u2192 start", "dasar: ''melarikan diri'' \u2192 sedang", "tingkat: dasar sedang + 0 eskalasi \u2192 sedang"]','Petugas Lapas Pangkalpinang masih mencari warga binaan yang melarikan diri');
INSERT INTO "alerts" VALUES('0fa10a88-9db6-4301-bc21-64a068c84366','2026-11-30 05:47:55.860537','meltwater','{"text": "Seorang warga binaan Lapas Banyuasin dilaporkan kabur saat kerja bakti"}',NULL,'started',NULL,'lapas-banyuasin','keamanan-ketertiban','sedang','a0e40868-ad59-4cb4-a1cb-372a544aa03d','e52be38b-ac22-4b50-b063-05f83017ce05','["unit ''lapas banyuasin'' \u2192 lapas-banyuasin", "relevan: ''warga binaan'' +2, ''lapas'' +2 \u2192 4 \u2265 2", "kata ''kabur'' \u2192 keamanan-ketertiban (+4)", "skor 4 \u2265 4 \u2192 start", "dasar: ''kabur'' \u2192 sedang", "tingkat: dasar sedang + 0 eskalasi \u2192 sedang"]','Seorang warga binaan Lapas Banyuasin dilaporkan kabur saat kerja bakti');
INSERT INTO "alerts" VALUES('4390aa32-15cf-4a2b-bf64-e9d2515c4ac1','2026-11-30 05:47:55.998475','meltwater','{"text": "Dua petugas tewas dalam kerusuhan dan pelarian massal di Lapas Banyuasin; Komisi XIII DPR minta penjelasan", "reach": 2000000}',NULL,'escalated',NULL,'lapas-banyuasin','keamanan-ketertiban','luar-biasa','a0e40868-ad59-4cb4-a1cb-372a544aa03d','8554ea8d-f5f0-493d-8903-9250bdcb0549','["unit ''lapas banyuasin'' \u2192 lapas-banyuasin", "relevan: ''lapas'' +2 \u2192 2 \u2265 2", "kata ''kerusuhan'' \u2192 keamanan-ketertiban (+4)", "kata ''pelarian'' \u2192 keamanan-ketertiban (+4)", "kata ''tewas'' \u2192 kesehatan (+4)", "skor 8 \u2265 4 \u2192 start", "dasar: reach 2000000 \u2265 10000 (viral daerah) \u2192 sedang", "dasar: ''pelarian massal'' \u2192 luar-biasa", "tewas \u2192 eskalasi +1 (kematian)", "2 korban jiwa \u2265 2 \u2192 eskalasi +1 (korban jiwa lebih dari satu)", "reach 2000000 \u2265 100000 \u2192 viral \u2192 eskalasi +1 (cakupan nasional/tren)", "dpr, komisi xiii \u2192 eskalasi +1 (perhatian DPR/lembaga pengawas)", "tingkat: dasar luar-biasa + 4 eskalasi \u2192 luar-biasa", "escalated from sedang to luar-biasa by alert 4390aa32-15cf-4a2b-bf64-e9d2515c4ac1"]','Dua petugas tewas dalam kerusuhan dan pelarian massal di Lapas Banyuasin; Komisi XIII DPR minta penjelasan');
INSERT INTO "alerts" VALUES('26695b70-e065-4f33-bd80-0a453b52f6c5','2026-11-30 05:47:57.951999','meltwater','{"text": "Gempa magnitudo 5,0 mengguncang Sukabumi, warga panik keluar rumah"}',NULL,'ignored',NULL,NULL,NULL,NULL,NULL,NULL,'["tidak relevan: tidak ada kata UPT/WBP/Ditjenpas \u2192 0 < 2"]','Gempa magnitudo 5,0 mengguncang Sukabumi, warga panik keluar rumah');
INSERT INTO "alerts" VALUES('554ba323-b241-4d74-bd41-64e00c56d226','2026-11-30 05:47:57.958295','meltwater','{"text": "Warga binaan Lapas Sukamiskin mengikuti pelatihan barista"}',NULL,'ignored',NULL,'lapas-sukamiskin',NULL,NULL,NULL,NULL,'["unit ''lapas sukamiskin'' \u2192 lapas-sukamiskin", "relevan: ''warga binaan'' +2, ''lapas'' +2 \u2192 4 \u2265 2", "konteks ''pelatihan'' \u2192 semua kategori (-4)", "tidak ada sinyal krisis (skor -4 < 1) \u2192 ignore"]','Warga binaan Lapas Sukamiskin mengikuti pelatihan barista');
INSERT INTO "alerts" VALUES('d3169abe-5ba7-40fe-8437-315e6fb551cc','2026-11-30 05:47:59.833553','feeds','{"source": "feeds", "platform": "news", "url": "https://berita.example/nabire-ricuh", "title": "Kerusuhan pecah di Lapas Nabire, dua warga binaan tewas", "text": "Kerusuhan antarblok di  Lapas Nabire  menyebabkan dua warga binaan tewas.", "published_at": "2026-11-24T02:55:00Z", "author": "uji"}','https://berita.example/nabire-ricuh','started',NULL,'lapas-nabire','keamanan-ketertiban','luar-biasa','75177930-864d-4c4b-9bac-f40b3d99420a','1a3763d8-0065-4a7d-8fee-dac3c5e86517','["unit ''lapas nabire'' \u2192 lapas-nabire", "relevan: ''lapas'' +2, ''warga binaan'' +2 \u2192 4 \u2265 2", "kata ''kerusuhan'' \u2192 keamanan-ketertiban (+4)", "kata ''tewas'' \u2192 kesehatan (+4)", "skor 4 \u2265 4 \u2192 start", "dasar: ''kerusuhan'' \u2192 sedang", "tewas \u2192 eskalasi +1 (kematian)", "2 korban jiwa \u2265 2 \u2192 eskalasi +1 (korban jiwa lebih dari satu)", "tingkat: dasar sedang + 2 eskalasi \u2192 luar-biasa"]','Kerusuhan pecah di Lapas Nabire, dua warga binaan tewas. Kerusuhan antarblok di  Lapas Nabire  menyebabkan dua warga binaan tewas.');
INSERT INTO "alerts" VALUES('5cd811c0-fc9a-401e-9517-c4a8b0bd1c25','2026-11-30 05:48:09.971909','meltwater','null',NULL,'rejected','expected an alert object, a list of alerts or {''documents'': [...]}, got NoneType',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('08a95bff-5c16-4fa6-bd3c-48ed96460542','2026-11-30 05:48:09.976568','meltwater','{"text": ""}',NULL,'rejected','text: String should have at least 1 character',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('e63dd0f5-d6f8-442b-93a2-90df7ba45d5c','2026-11-30 05:48:09.984150','meltwater','{"text": "Â"}',NULL,'ignored',NULL,NULL,NULL,NULL,NULL,NULL,'["tidak relevan: tidak ada kata UPT/WBP/Ditjenpas \u2192 0 < 2"]','Â');
INSERT INTO "alerts" VALUES('20bad666-7ab1-450f-8fbf-05a3bb1c116c','2026-11-30 05:48:09.989513','meltwater','{"text": "Â", "sentiment": "\u0019G"}',NULL,'rejected','sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('8ca8b030-4c79-4e18-b8f2-509767738cdc','2026-11-30 05:48:09.994701','meltwater','{}',NULL,'rejected','text: Field required',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('a4283fa1-128d-4613-b016-63b04f16909f','2026-11-30 05:48:10.001452','meltwater','{"": "ò񰤟򌠥Ýí󇉯"}',NULL,'rejected','text: Field required',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('0adc3796-a7d6-4b8c-bc97-8aec0a99e183','2026-11-30 05:48:10.006621','meltwater','[]',NULL,'rejected','empty list: send at least one alert',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('c1754540-08cc-47b0-9c82-eee31693c977','2026-11-30 05:48:10.012471','meltwater','{"documents": []}',NULL,'rejected','documents: List should have at least 1 item after validation, not 0',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('9479d262-12c2-4127-9e8f-55d24e1fce18','2026-11-30 05:48:10.017073','meltwater','{}',NULL,'rejected','documents[0].content: Field required',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('96762069-6d6f-405b-b24f-cb693b0fec1d','2026-11-30 05:48:10.021863','meltwater','{}',NULL,'rejected','documents[0].content: Field required',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('f73866dc-7555-4f2b-9d3a-b0290c11b613','2026-11-30 05:48:10.028308','meltwater','{"documents": [[]]}',NULL,'rejected','documents.0: Input should be a valid dictionary',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('fe9cd47d-3727-4085-becf-8126ccd39cfb','2026-11-30 05:48:10.043637','meltwater','{"": null}',NULL,'rejected','documents[0].content: Field required',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('5703a9d0-1442-48c5-b4a9-f81c2ebff014','2026-11-30 05:48:10.077556','meltwater','{"text": "jÞ"}',NULL,'ignored',NULL,NULL,NULL,NULL,NULL,NULL,'["tidak relevan: tidak ada kata UPT/WBP/Ditjenpas \u2192 0 < 2"]','jÞ');
INSERT INTO "alerts" VALUES('24e8d6cf-22c9-4112-862c-ab71daf65e11','2026-11-30 05:48:10.085904','meltwater','[]',NULL,'rejected','empty list: send at least one alert',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('ab7ef491-67f9-45c6-817c-3fed7152a87a','2026-11-30 05:48:10.096182','meltwater','0.0',NULL,'rejected','expected an alert object, a list of alerts or {''documents'': [...]}, got float',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('ffdd9d2a-40e8-4881-b204-ecaa5af50be8','2026-11-30 05:48:10.103440','meltwater','-Infinity',NULL,'rejected','expected an alert object, a list of alerts or {''documents'': [...]}, got float',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('2bf38595-04f3-41a1-b2e1-46c5e86f1103','2026-11-30 05:48:10.111315','meltwater','{"documents": ["P\u00ec\u00ac\u00b0\u00f8\u00ab\b\u00b4", {}]}',NULL,'rejected','documents.0: Input should be a valid dictionary',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('02a93830-f687-455b-9dc7-dd4c6bd97123','2026-11-30 05:48:10.118474','meltwater','{}',NULL,'rejected','documents[0].content: Field required',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('77efb545-addf-49fc-9219-c18512247e0f','2026-11-30 05:48:10.121172','meltwater','{}',NULL,'rejected','documents[1].content: Field required',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('8bcdb323-dee2-4748-bbc9-1c9a1a7d145c','2026-11-30 05:48:10.137822','meltwater','{"documents": [{"h\b\udb56\udddc\ud8aa\udde6ok": [], "\u0095\u00f8T\r5z\u00f6\ud8fa\udc1f\u00bdB\u00d6\f": {"\u0082q\u00b2\ud846\udcc2\u00cc\u00a8@|": [-514, 1.4515363680641287e-209, -31]}}, []]}',NULL,'rejected','documents.1: Input should be a valid dictionary',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('9472b6c4-77cd-445a-b849-6b3a3b81b8ae','2026-11-30 05:48:10.147455','meltwater','{"h\b󥧜𺧦ok": [], "øT\r5zö񎠟½BÖ\f": {"q²𡣂Ì¨@|": [-514, 1.4515363680641287e-209, -31]}}',NULL,'rejected','documents[0].content: Field required',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('d6b28dc1-5966-482a-a4d6-7efc6924442f','2026-11-30 05:48:10.149947','meltwater','{}',NULL,'rejected','documents[1].content: Field required',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('cd027a38-757e-4ae1-93a0-e3c1b0b90594','2026-11-30 05:48:10.167907','meltwater','{"documents": [[{}, {"": {"\udb2e\udd78\u00ee\u00fd\udb6c\ude8e*\u00ec\u0002C\u00ea\u001b\u00e2~": -1871512}, "4": [5.107580883454274e-39], "\udb02\udfaf\u00de\u00bf\ud91a\udf95\u008c\u00d1\ud944\udf39\u0012\u00cf\ud9b8\udcd9\u00d2": {}, "\u0017\u000f\u00ff\ud9e3\uddff\ud8ac\udef5\u0001\u009b\u00f0f\ud807\udc45\udb1d\udde9V": {"": -3819959, "\u00ec\uda27\uddc0YB}\ud848\ude2b#\u0085\u00af": "\udb37\udc16\u00a8O\u00a4t4\u00c8\u001e", "p\ud830\ude44\u0015i\u00f4F\u0092\u0095\u00c3\\\u00ab\udb69\ude38": false, "\udb34\uded3\u0099\u001a\u00ba\u0004\u0006\ud8a4\ude30": null, "X": null}, "bapas": {"\u0080\u001d": 208, "\u00c5\u00d4": null}}, {}, {"\ud9ab\ude6f\uda4b\udc7e": true, "?\u00eb^\u001a\u00cc\u00cc\u00db{\u0001\ud95b\udcd1\uda6c\udd48\u008d": false}]]}',NULL,'rejected','documents.0: Input should be a valid dictionary',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('aa44fe29-131f-43b6-a9f1-f84c5dced1f3','2026-11-30 05:48:10.177861','meltwater','{"documents": [[{}, {}, {}, {"\ud9ab\ude6f\uda4b\udc7e": true, "?\u00eb^\u001a\u00cc\u00cc\u00db{\u0001\ud95b\udcd1\uda6c\udd48\u008d": false}]]}',NULL,'rejected','documents.0: Input should be a valid dictionary',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('f1e53ea6-7609-4112-98c6-ba066a742a6a','2026-11-30 05:48:10.187458','meltwater','{"documents": [[{"\ud9ab\ude6f\uda4b\udc7e": [null]}]]}',NULL,'rejected','documents.0: Input should be a valid dictionary',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('253d75ff-5a19-469c-bb08-c22daed32fe8','2026-11-30 05:48:10.197381','meltwater','{"documents": [[null], true]}',NULL,'rejected','documents.0: Input should be a valid dictionary; documents.1: Input should be a valid dictionary',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('7cfebfff-5bc9-445c-9aec-e7d7cc4d1f6c','2026-11-30 05:48:10.205297','meltwater','{"documents": [[null], null]}',NULL,'rejected','documents.0: Input should be a valid dictionary; documents.1: Input should be a valid dictionary',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('67d6425a-55ba-412b-9134-2c9d7d68c8af','2026-11-30 05:48:10.211630','meltwater','{}',NULL,'rejected','[0].text: Field required',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('0f8c111e-0c27-452e-a392-3d905257f211','2026-11-30 05:48:10.218472','meltwater','null',NULL,'rejected','[0].(body): Input should be a valid dictionary or instance of Alert',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('e6e03b95-622f-4197-a6f5-e3e91b343ac4','2026-11-30 05:48:10.225470','meltwater','[]',NULL,'rejected','empty list: send at least one alert',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('93f83f31-e2ce-4bac-ae67-a8a82587c88e','2026-11-30 05:48:10.231647','meltwater','{"text": "󿀟"}',NULL,'ignored',NULL,NULL,NULL,NULL,NULL,NULL,'["tidak relevan: tidak ada kata UPT/WBP/Ditjenpas \u2192 0 < 2"]','󿀟');
INSERT INTO "alerts" VALUES('cc7ddbff-4d20-4ec4-8fec-ca956b9aba35','2026-11-30 05:48:10.241863','meltwater','{"àýw¹I«dÀ": [true], "8~": {"i\u0006ý·\b~îè?8z": false, "Â*S􏰥": true}}',NULL,'rejected','text: Field required',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('53a0ae26-1f43-4d14-8203-4a596dca3019','2026-11-30 05:48:10.253355','meltwater','{"documents": [[], {"\u0099\u00ad\u0006\uda0a\udefb\u00c1": {"\ud91a\ude63s\udb1d\udf4b\u0001~d\u00c2L\u00dcO": {"\u008e\u0010\u00d2": null, "\u0003\uda96\udd9d\ud9b0\udfa6f\u0013\u00ef\udbbf\udd68\u0092\u0013\u00bf\u00ac\u00db": -5.676927391875698e-256, "\"\ud945\udee9": 1102709460530031362048, ".\u00d0": true, "O\ud811\udd0e\b": null}}}, {"\ud954\ude1f\ud89a\udfe6\ud8f1\udce6\ud825\udd3a\u00b4": false, "\u00a9\u00ad\u00cf": 15420, "l": 1444}]}',NULL,'rejected','documents.0: Input should be a valid dictionary',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('60f6ec3d-2849-4a8a-bedc-ef0edbbd395f','2026-11-30 05:48:10.262930','meltwater','{"documents": [[], {"\ud954\ude1f\ud89a\udfe6\ud8f1\udce6\ud825\udd3a\u00b4": [], "\u00a9\u00ad\u00cf": {}, "l": {}}, {"\ud954\ude1f\ud89a\udfe6\ud8f1\udce6\ud825\udd3a\u00b4": false, "\u00a9\u00ad\u00cf": 15420, "l": 1444}]}',NULL,'rejected','documents.0: Input should be a valid dictionary',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('4f556231-40db-4df9-9f57-700ea5c369b4','2026-11-30 05:48:10.273325','meltwater','{"documents": [[], {"\ud954\ude1f\ud89a\udfe6\ud8f1\udce6\ud825\udd3a\u00b4": [], "\u00a9\u00ad\u00cf": {}, "l": {}}, []]}',NULL,'rejected','documents.0: Input should be a valid dictionary; documents.2: Input should be a valid dictionary',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('9d420a65-fbef-49e6-943f-9709a983f9ab','2026-11-30 05:48:10.283474','meltwater','{"documents": [[], {"\ud954\ude1f\ud89a\udfe6\ud8f1\udce6\ud825\udd3a\u00b4": [], "\u00a9\u00ad\u00cf": {}, "l": {}}, {"\ud954\ude1f\ud89a\udfe6\ud8f1\udce6\ud825\udd3a\u00b4": [], "\u00a9\u00ad\u00cf": {}, "l": {}}]}',NULL,'rejected','documents.0: Input should be a valid dictionary',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('ca816ace-e1d0-4056-a475-68d04de41fee','2026-11-30 05:48:10.289718','meltwater','{"documents": [[], [], []]}',NULL,'rejected','documents.0: Input should be a valid dictionary; documents.1: Input should be a valid dictionary; documents.2: Input should be a valid dictionary',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('20652346-3397-4fdd-9967-6b3a7158580f','2026-11-30 05:48:10.297318','meltwater','{"published_at": "I􏷟񌼚\u001b^2򾱶𫏫rgô*7ÝFÏ¿¡ØK", "text": "", "url": "0,[Û7È¢\u000f", "unit": "¼"}',NULL,'rejected','url: Input should be a valid URL, relative URL without a base; text: String should have at least 1 character; published_at: Input should be a valid datetime or date, invalid character in year',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('5b4d13a9-a2fd-4b52-9ff1-e2b5d900eb50','2026-11-30 05:48:10.303738','meltwater','{"published_at": "I􏷟񌼚\u001b^2򾱶𫏫rgô*7ÝFÏ¿¡ØK", "text": "", "url": "I􏷟񌼚\u001b^2򾱶𫏫rgô*7ÝFÏ¿¡ØK", "unit": "¼"}',NULL,'rejected','url: Input should be a valid URL, relative URL without a base; text: String should have at least 1 character; published_at: Input should be a valid datetime or date, invalid character in year',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('7ca31019-9232-4093-b27b-779423a8cfff','2026-11-30 05:48:10.312618','meltwater','{"documents": [["\u0092\u0011\u00bd\u0082", "\u0087\u00d0J\u00e8\udb87\udf12!\u0088\u0099", "", "\udb78\udd34G\u0007\ud97f\udff0\u00f6\u0083\u00c93\u00cbm\udb60\udf9c\u00b4\u00a4\ud9c8\udc33\udb83\udf3c\udbe2\udf1f\u0e44|\u00bd\u00ca<)\u00fb\u00a4\ue330"], [], []]}',NULL,'rejected','documents.0: Input should be a valid dictionary; documents.1: Input should be a valid dictionary; documents.2: Input should be a valid dictionary',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('1b1800df-fe45-4864-b1c1-cd660c88ccde','2026-11-30 05:48:10.318879','meltwater','{"documents": [["\u0092\u0011\u00bd\u0082", "\u0092\u0011\u00bd\u0082", "", "\udb78\udd34G\u0007\ud97f\udff0\u00f6\u0083\u00c93\u00cbm\udb60\udf9c\u00b4\u00a4\ud9c8\udc33\udb83\udf3c\udbe2\udf1f\u0e44|\u00bd\u00ca<)\u00fb\u00a4\ue330"], [], []]}',NULL,'rejected','documents.0: Input should be a valid dictionary; documents.1: Input should be a valid dictionary; documents.2: Input should be a valid dictionary',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('185426c1-afd7-4b59-b262-8ce27ec0d85f','2026-11-30 05:48:10.324889','meltwater','{"documents": [["\u0092\u0011\u00bd\u0082", "", "", "\udb78\udd34G\u0007\ud97f\udff0\u00f6\u0083\u00c93\u00cbm\udb60\udf9c\u00b4\u00a4\ud9c8\udc33\udb83\udf3c\udbe2\udf1f\u0e44|\u00bd\u00ca<)\u00fb\u00a4\ue330"], [], []]}',NULL,'rejected','documents.0: Input should be a valid dictionary; documents.1: Input should be a valid dictionary; documents.2: Input should be a valid dictionary',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('01800c83-01c5-42cf-a7c1-50cd4d2293dd','2026-11-30 05:48:10.333890','meltwater','{"documents": [[null, [-65171, 250664777604, 160032, null], {}]]}',NULL,'rejected','documents.0: Input should be a valid dictionary',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('e55da06d-5451-47b9-b273-4316417d9c46','2026-11-30 05:48:10.342421','meltwater','{"documents": [[null, [-65171, 250664777604, -65171, null], {}]]}',NULL,'rejected','documents.0: Input should be a valid dictionary',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('833f9933-789a-4ca3-b5ab-06c25fc37e24','2026-11-30 05:48:10.351511','meltwater','{"documents": [[{}, [-65171, 250664777604, -65171, null], {}]]}',NULL,'rejected','documents.0: Input should be a valid dictionary',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('4fe787a5-fb69-4151-8088-73e190e31bd6','2026-11-30 05:48:10.362222','meltwater','{"documents": [[[], [-65171, 250664777604, -65171, null], {}]]}',NULL,'rejected','documents.0: Input should be a valid dictionary',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('b296b0d8-c621-494e-bc1d-5f3f9d24f096','2026-11-30 05:48:10.371909','meltwater','{"documents": [[null]]}',NULL,'rejected','documents.0: Input should be a valid dictionary',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('8d5de3f0-e39e-497b-bdf3-fd3670122a8f','2026-11-30 05:48:10.378946','meltwater','{"documents": [[]]}',NULL,'rejected','documents.0: Input should be a valid dictionary',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('59a4e7c7-dc64-4907-80a5-67cd65e90881','2026-11-30 05:48:10.387784','meltwater','{"text": "", "unit": "\u0005\f", "published_at": "ÍÆ\u0015𽋽¹\u0017򇗴ôî\u0010gç\u0005£²􏄒", "sentiment": "if"}',NULL,'rejected','[1].text: String should have at least 1 character; [1].published_at: Input should be a valid datetime or date, invalid character in year; [1].sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('f658b01a-2c40-417a-a8b9-b7c18fadf0b9','2026-11-30 05:48:10.391025','meltwater','{"reach": 13623, "text": "񯭛񬠭-Z3jÖ񰷀򲓞\u000e蕊"}',NULL,'ignored',NULL,NULL,NULL,NULL,NULL,NULL,'["tidak relevan: tidak ada kata UPT/WBP/Ditjenpas \u2192 0 < 2"]','񯭛񬠭-Z3jÖ񰷀򲓞蕊');
INSERT INTO "alerts" VALUES('b57412f6-93e7-4456-858e-4aae9cbe9708','2026-11-30 05:48:10.393264','meltwater','{"text": "§򃼹󽸞\u001dfo𸥶ÿ񢭲àöäf"}',NULL,'ignored',NULL,NULL,NULL,NULL,NULL,NULL,'["tidak relevan: tidak ada kata UPT/WBP/Ditjenpas \u2192 0 < 2"]','§򃼹󽸞fo𸥶ÿ񢭲àöäf');
INSERT INTO "alerts" VALUES('34a6db3c-d088-4fe4-8caf-6e7fe9c250ef','2026-11-30 05:48:10.401406','meltwater','{"text": "", "unit": "\u0005\f", "published_at": "ÍÆ\u0015𽋽¹\u0017򇗴ôî\u0010gç\u0005£²􏄒", "sentiment": "if"}',NULL,'rejected','[0].text: String should have at least 1 character; [0].published_at: Input should be a valid datetime or date, invalid character in year; [0].sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('4ca6c1d5-e848-47c2-a5a6-9086bc965649','2026-11-30 05:48:10.403973','meltwater','{"text": "", "unit": "\u0005\f", "published_at": "ÍÆ\u0015𽋽¹\u0017򇗴ôî\u0010gç\u0005£²􏄒", "sentiment": "if"}',NULL,'rejected','[1].text: String should have at least 1 character; [1].published_at: Input should be a valid datetime or date, invalid character in year; [1].sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('8bc6c405-3320-4ea0-9c9c-b98ec8f94cbd','2026-11-30 05:48:10.406012','meltwater','{"text": "§򃼹󽸞\u001dfo𸥶ÿ񢭲àöäf"}',NULL,'ignored',NULL,NULL,NULL,NULL,NULL,NULL,'["tidak relevan: tidak ada kata UPT/WBP/Ditjenpas \u2192 0 < 2"]','§򃼹󽸞fo𸥶ÿ񢭲àöäf');
INSERT INTO "alerts" VALUES('0a1a17c8-2db0-47bc-a527-e3513c027552','2026-11-30 05:48:10.414801','meltwater','{"text": "", "unit": "\u0005\f", "published_at": "ÍÆ\u0015𽋽¹\u0017򇗴ôî\u0010gç\u0005£²􏄒", "sentiment": "if"}',NULL,'rejected','[0].text: String should have at least 1 character; [0].published_at: Input should be a valid datetime or date, invalid character in year; [0].sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('c7ae77c2-4a43-4590-89c1-269c4f80806f','2026-11-30 05:48:10.417289','meltwater','{"text": "", "unit": "\u0005\f", "published_at": "ÍÆ\u0015𽋽¹\u0017򇗴ôî\u0010gç\u0005£²􏄒", "sentiment": "if"}',NULL,'rejected','[1].text: String should have at least 1 character; [1].published_at: Input should be a valid datetime or date, invalid character in year; [1].sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('e68966af-095f-43cd-a856-76d84229ec1f','2026-11-30 05:48:10.418721','meltwater','{"text": "", "unit": "\u0005\f", "published_at": "ÍÆ\u0015𽋽¹\u0017򇗴ôî\u0010gç\u0005£²􏄒", "sentiment": "if"}',NULL,'rejected','[2].text: String should have at least 1 character; [2].published_at: Input should be a valid datetime or date, invalid character in year; [2].sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('7c8708fb-e28d-4cd9-b377-d8e418797b9c','2026-11-30 05:48:10.425853','meltwater','{"text": "", "sentiment": "if", "published_at": "ÍÆ\u0015𽋽¹\u0017򇗴ôî\u0010gç\u0005£²􏄒", "unit": "\u0005\f", "url": ""}',NULL,'rejected','[0].url: Input should be a valid URL, input is empty; [0].text: String should have at least 1 character; [0].published_at: Input should be a valid datetime or date, invalid character in year; [0].sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('fa966ac6-a138-490b-9cee-41d801cfb7f1','2026-11-30 05:48:10.428132','meltwater','{"text": ""}',NULL,'rejected','[1].text: String should have at least 1 character',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('abbf305a-6e0e-48de-9415-b885d0f2ca5f','2026-11-30 05:48:10.435517','meltwater','{"text": "", "sentiment": "if", "published_at": "ÍÆ\u0015𽋽¹\u0017򇗴ôî\u0010gç\u0005£²􏄒", "unit": "\u0005\f", "url": ""}',NULL,'rejected','[0].url: Input should be a valid URL, input is empty; [0].text: String should have at least 1 character; [0].published_at: Input should be a valid datetime or date, invalid character in year; [0].sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('dd77a574-183c-4e0c-82b8-e466d57b75a8','2026-11-30 05:48:10.438747','meltwater','{"text": "ÍÆ\u0015𽋽¹\u0017򇗴ôî\u0010gç\u0005£²􏄒"}',NULL,'ignored',NULL,NULL,NULL,NULL,NULL,NULL,'["tidak relevan: tidak ada kata UPT/WBP/Ditjenpas \u2192 0 < 2"]','ÍÆ𽋽¹򇗴ôîgç£²􏄒');
INSERT INTO "alerts" VALUES('0b7c142d-03f1-41cc-8dde-64d1e2e93e47','2026-11-30 05:48:10.445711','meltwater','{"text": "", "sentiment": "if", "published_at": "ÍÆ\u0015𽋽¹\u0017򇗴ôî\u0010gç\u0005£²􏄒", "unit": "", "url": ""}',NULL,'rejected','[0].url: Input should be a valid URL, input is empty; [0].text: String should have at least 1 character; [0].published_at: Input should be a valid datetime or date, invalid character in year; [0].sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('e8f987e8-bd88-4da4-9dbc-f6f1c84cf4f7','2026-11-30 05:48:10.448337','meltwater','{"text": "ÍÆ\u0015𽋽¹\u0017򇗴ôî\u0010gç\u0005£²􏄒"}',NULL,'ignored',NULL,NULL,NULL,NULL,NULL,NULL,'["tidak relevan: tidak ada kata UPT/WBP/Ditjenpas \u2192 0 < 2"]','ÍÆ𽋽¹򇗴ôîgç£²􏄒');
INSERT INTO "alerts" VALUES('142c7968-5c2e-4ee1-a278-05f4f07d342c','2026-11-30 05:48:10.455563','meltwater','{"text": "ÍÆ\u0015𽋽¹\u0017򇗴ôî\u0010gç\u0005£²􏄒"}',NULL,'ignored',NULL,NULL,NULL,NULL,NULL,NULL,'["tidak relevan: tidak ada kata UPT/WBP/Ditjenpas \u2192 0 < 2"]','ÍÆ𽋽¹򇗴ôîgç£²􏄒');
INSERT INTO "alerts" VALUES('b3d9c186-7cb1-4f24-95da-f48cf57ba5b2','2026-11-30 05:48:10.458624','meltwater','{"text": "ÍÆ\u0015𽋽¹\u0017򇗴ôî\u0010gç\u0005£²􏄒"}',NULL,'ignored',NULL,NULL,NULL,NULL,NULL,NULL,'["tidak relevan: tidak ada kata UPT/WBP/Ditjenpas \u2192 0 < 2"]','ÍÆ𽋽¹򇗴ôîgç£²􏄒');
INSERT INTO "alerts" VALUES('cf6ef7bd-7084-4591-954b-4c444a1db021','2026-11-30 05:48:10.470267','meltwater','{"text": "NUL"}',NULL,'ignored',NULL,NULL,NULL,NULL,NULL,NULL,'["tidak relevan: tidak ada kata UPT/WBP/Ditjenpas \u2192 0 < 2"]','NUL');
INSERT INTO "alerts" VALUES('9f54dcd7-8304-448d-b341-bb1b72350412','2026-11-30 05:48:10.494231','meltwater','{}',NULL,'rejected','text: Field required',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('d6a18b50-e894-4f6b-80b5-f90e6a92a9c7','2026-11-30 05:48:10.505200','meltwater','{"neutral": null, "é²": null, "y񮓫": false, "򅲛򉑗\u0005-\u001b󂛠ICÔ¯": true, "򠑓ïÑ": true}',NULL,'rejected','[0].text: Field required',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('01c1edb1-cbec-46af-94dd-000f1efc6c5c','2026-11-30 05:48:10.507578','meltwater','{}',NULL,'rejected','[1].text: Field required',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('ec889498-41ec-4478-88c0-a65a1a1d82ab','2026-11-30 05:48:10.509386','meltwater','{"": null}',NULL,'rejected','[2].text: Field required',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('000bad6c-3a94-416a-b7e3-2a99b32d56ed','2026-11-30 05:48:10.518061','meltwater','{"neutral": null, "é²": null, "y񮓫": false, "򅲛򉑗\u0005-\u001b󂛠ICÔ¯": true, "򠑓ïÑ": true}',NULL,'rejected','[0].text: Field required',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('a46b57bf-4696-4831-b4f2-a0269393ec7e','2026-11-30 05:48:10.519880','meltwater','{}',NULL,'rejected','[1].text: Field required',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('fe26c992-f14c-4349-9ea0-05a2dbe16b48','2026-11-30 05:48:10.520925','meltwater','{"neutral": null, "é²": null, "y񮓫": false, "򅲛򉑗\u0005-\u001b󂛠ICÔ¯": true, "򠑓ïÑ": true}',NULL,'rejected','[2].text: Field required',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('009053b1-e138-49d5-8b6c-0f05461c0e57','2026-11-30 05:48:10.526933','meltwater','{"neutral": null, "é²": null, "y񮓫": false, "򅲛򉑗\u0005-\u001b󂛠ICÔ¯": true, "򠑓ïÑ": true}',NULL,'rejected','[0].text: Field required',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('58acab3d-ab65-483c-b8d8-7602eb79b578','2026-11-30 05:48:10.528591','meltwater','{}',NULL,'rejected','[1].text: Field required',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('baa26691-781e-4239-8a77-4fe5a884c723','2026-11-30 05:48:10.532860','meltwater','null',NULL,'rejected','[0].(body): Input should be a valid dictionary or instance of Alert',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('32061693-145f-447a-a810-493d41712d76','2026-11-30 05:48:10.537972','meltwater','2.634184335590907e+16',NULL,'rejected','expected an alert object, a list of alerts or {''documents'': [...]}, got float',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('9b4513b2-8531-47e1-8a52-d7bc54bdf645','2026-11-30 05:48:10.543186','meltwater','{"": true, "񙒵cÊ": false}',NULL,'rejected','[0].text: Field required',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('0a401e93-a257-4003-a0c8-b771e2f27738','2026-11-30 05:48:10.545517','meltwater','1.4576188323631204e-293',NULL,'rejected','[1].(body): Input should be a valid dictionary or instance of Alert',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('63c95e89-4672-4932-a9d4-3c2b2afab457','2026-11-30 05:48:10.546682','meltwater','-1702971343097',NULL,'rejected','[2].(body): Input should be a valid dictionary or instance of Alert',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('87104bdc-5dfb-4c51-b927-73e106ff449c','2026-11-30 05:48:10.553936','meltwater','{"": true, "񙒵cÊ": false}',NULL,'rejected','[0].text: Field required',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('8555c001-21bc-43a4-b2fe-ec314e0337b9','2026-11-30 05:48:10.555838','meltwater','1.4576188323631204e-293',NULL,'rejected','[1].(body): Input should be a valid dictionary or instance of Alert',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('5f808509-315b-4a66-b336-eb6d75b606a2','2026-11-30 05:48:10.556894','meltwater','1.4576188323631204e-293',NULL,'rejected','[2].(body): Input should be a valid dictionary or instance of Alert',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('6bdfbf4c-0932-494c-8853-a46e58f0311f','2026-11-30 05:48:10.563473','meltwater','{"": true, "񙒵cÊ": false}',NULL,'rejected','[0].text: Field required',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('84fd106f-0249-41a0-bb38-8a0386fb0de1','2026-11-30 05:48:10.565121','meltwater','1.4576188323631204e-293',NULL,'rejected','[1].(body): Input should be a valid dictionary or instance of Alert',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('a76f258b-2a43-4886-97a5-cb7c4c0adb89','2026-11-30 05:48:10.565987','meltwater','{}',NULL,'rejected','[2].text: Field required',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('2765e885-b99e-4bfa-8153-104ef0d839a2','2026-11-30 05:48:10.573577','meltwater','{"": true, "񙒵cÊ": false}',NULL,'rejected','[0].text: Field required',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('d108b5d6-9a55-4712-adf1-c273a986441e','2026-11-30 05:48:10.575879','meltwater','1.4576188323631204e-293',NULL,'rejected','[1].(body): Input should be a valid dictionary or instance of Alert',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('610a76d4-8b80-48b0-8755-8ba8f06234bb','2026-11-30 05:48:10.577489','meltwater','{"": true, "񙒵cÊ": false}',NULL,'rejected','[2].text: Field required',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('46ed3a44-af8a-4b37-8a15-fb4371bfa713','2026-11-30 05:48:10.585613','meltwater','{"": true, "񙒵cÊ": false}',NULL,'rejected','[0].text: Field required',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('abfefb29-e4c3-4e0f-bc64-c40fbb850099','2026-11-30 05:48:10.588679','meltwater','{}',NULL,'rejected','[1].text: Field required',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('38922236-dc1c-4241-b276-4c060f02e535','2026-11-30 05:48:10.596001','meltwater','{}',NULL,'rejected','[0].text: Field required',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('c370fb7d-37c8-4954-ab24-e10d2952afd2','2026-11-30 05:48:10.598489','meltwater','{}',NULL,'rejected','[1].text: Field required',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('34f9f44f-9167-43e4-9ade-d3b129a1ceae','2026-11-30 05:48:10.605425','meltwater','-4.564417891922615e-08',NULL,'rejected','[0].(body): Input should be a valid dictionary or instance of Alert',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('b2ef2d56-b30b-4950-ac97-7200be8c5b9b','2026-11-30 05:48:10.614333','meltwater','[]',NULL,'rejected','empty list: send at least one alert',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('05e8aeaf-c2b4-46fe-b5b0-7d07aa517530','2026-11-30 05:48:10.621591','meltwater','{"published_at": "`n+=8", "unit": "", "reach": 23, "text": "󴋼?Ü\u0017=ìº"}',NULL,'rejected','published_at: Input should be a valid datetime or date, input is too short',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('e2b8dc5d-2591-4225-8d81-7b8655864e4f','2026-11-30 05:48:10.629356','meltwater','{"text": "󴋼?Ü\u0017=ìº", "reach": 23}',NULL,'ignored',NULL,NULL,NULL,NULL,NULL,NULL,'["tidak relevan: tidak ada kata UPT/WBP/Ditjenpas \u2192 0 < 2"]','󴋼?Ü=ìº');
INSERT INTO "alerts" VALUES('a540a775-1d76-4d3e-92db-3d703c228eb2','2026-11-30 05:48:10.638987','meltwater','{"text": "󴋼?Ü\u0017=ìº"}',NULL,'ignored',NULL,NULL,NULL,NULL,NULL,NULL,'["tidak relevan: tidak ada kata UPT/WBP/Ditjenpas \u2192 0 < 2"]','󴋼?Ü=ìº');
INSERT INTO "alerts" VALUES('2f0614a0-9332-4a7a-a249-33c9a2737106','2026-11-30 05:48:10.689606','meltwater','{"documents": [{"t\udbf2\udc40\u00ac\u00dd\u00e2\u00a4\u00b8:": {"\u001e": false}}, "\nR{\u0096", {"\u00ecIy\u00c9\u00b3\ud967\udfc6\u548f": 362879, "": null, "\u00a0\u001a\u00d2\u00eb\u00d0\u00f2 ": -6.3876567062102344e+16, "06&\u0011\udb39\ude4a": "__main__", ")\u00c9\u00c2\udbbf\udcd2": -419}]}',NULL,'rejected','documents.1: Input should be a valid dictionary',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('c5c1b9a3-a8ed-46d6-9f1f-7393324db5cc','2026-11-30 05:48:10.701838','meltwater','{"t􌡀¬Ýâ¤¸:": {"\u001e": false}}',NULL,'rejected','documents[0].content: Field required',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('d817bef2-5b90-4d58-b8e4-e84024fc9757','2026-11-30 05:48:10.704350','meltwater','{"t􌡀¬Ýâ¤¸:": {"\u001e": false}}',NULL,'rejected','documents[1].content: Field required',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('37f98290-341f-4ae2-a9fe-524aa9388e55','2026-11-30 05:48:10.705737','meltwater','{"ìIyÉ³񩿆咏": 362879, "": null, " \u001aÒëÐò ": -6.3876567062102344e+16, "06&\u0011󞙊": "__main__", ")ÉÂ󿳒": -419}',NULL,'rejected','documents[2].content: Field required',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('f5a876e1-be89-48f9-8b51-483c6a107d42','2026-11-30 05:48:10.718371','meltwater','{"ìIyÉ³񩿆咏": 362879, "": null, " \u001aÒëÐò ": -6.3876567062102344e+16, "06&\u0011󞙊": "__main__", ")ÉÂ󿳒": -419}',NULL,'rejected','documents[0].content: Field required',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('7fb2be28-c96d-40b5-8203-87f7707f9cf4','2026-11-30 05:48:10.720910','meltwater','{"t􌡀¬Ýâ¤¸:": {"\u001e": false}}',NULL,'rejected','documents[1].content: Field required',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('e7065db9-1161-46e4-b4ef-05654181e212','2026-11-30 05:48:10.722390','meltwater','{"ìIyÉ³񩿆咏": 362879, "": null, " \u001aÒëÐò ": -6.3876567062102344e+16, "06&\u0011󞙊": "__main__", ")ÉÂ󿳒": -419}',NULL,'rejected','documents[2].content: Field required',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('8bb3ab41-1442-41da-948a-d77e93210c43','2026-11-30 05:48:10.738093','meltwater','{"ìIyÉ³񩿆咏": 362879, "": null, " \u001aÒëÐò ": -6.3876567062102344e+16, "06&\u0011󞙊": "__main__", ")ÉÂ󿳒": -419}',NULL,'rejected','documents[0].content: Field required',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('b49f2b6a-6951-4061-81a4-c205c13437b9','2026-11-30 05:48:10.741315','meltwater','{"ìIyÉ³񩿆咏": 362879, "": null, " \u001aÒëÐò ": -6.3876567062102344e+16, "06&\u0011󞙊": "__main__", ")ÉÂ󿳒": -419}',NULL,'rejected','documents[1].content: Field required',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('1f9af4af-1bef-472b-9cb3-ea6f0edc916a','2026-11-30 05:48:10.743990','meltwater','{"ìIyÉ³񩿆咏": 362879, "": null, " \u001aÒëÐò ": -6.3876567062102344e+16, "06&\u0011󞙊": "__main__", ")ÉÂ󿳒": -419}',NULL,'rejected','documents[2].content: Field required',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('30ba143e-7b65-4525-aa13-f246292eadec','2026-11-30 05:48:10.763210','meltwater','{"reach": 984798, "sentiment": "Ï", "published_at": "", "unit": "\u0007¡\u000fL", "text": "¿򜲚𪏶ã}W4ü𢑳"}',NULL,'rejected','[0].published_at: Input should be a valid datetime or date, input is too short; [0].sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('4f0ff3b6-1f3d-4371-af80-a570e29b4179','2026-11-30 05:48:10.765821','meltwater','{"sentiment": "<Ê񁽛񠈭", "text": "\u0012)򦻟8²", "reach": 96104780228, "published_at": "ûÛ򡃰򒧷&\u0019·<򵕣\u0003\u0016Æ®", "url": "©d򞌹Äi", "unit": ""}',NULL,'rejected','[2].url: Input should be a valid URL, relative URL without a base; [2].published_at: Input should be a valid datetime or date, invalid character in year; [2].sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('25958047-ce3a-4237-a122-865a730306d9','2026-11-30 05:48:10.767925','meltwater','{"text": "team"}',NULL,'ignored',NULL,NULL,NULL,NULL,NULL,NULL,'["tidak relevan: tidak ada kata UPT/WBP/Ditjenpas \u2192 0 < 2"]','team');
INSERT INTO "alerts" VALUES('3ea76284-6cbc-4e08-9995-de47d1d0e827','2026-11-30 05:48:10.776884','meltwater','{"reach": 984798, "sentiment": "Ï", "published_at": "", "unit": "\u0007¡\u000fL", "text": "¿򜲚𪏶ã}W4ü𢑳"}',NULL,'rejected','[0].published_at: Input should be a valid datetime or date, input is too short; [0].sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('71648f62-0ebc-49ed-8a6a-96db6d87cc87','2026-11-30 05:48:10.779211','meltwater','{"sentiment": "\u0007¡\u000fL", "text": "\u0012)򦻟8²", "reach": 96104780228, "published_at": "ûÛ򡃰򒧷&\u0019·<򵕣\u0003\u0016Æ®", "url": "©d򞌹Äi", "unit": ""}',NULL,'rejected','[2].url: Input should be a valid URL, relative URL without a base; [2].published_at: Input should be a valid datetime or date, invalid character in year; [2].sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('42575d6a-9d6d-4921-82a2-e060930c2503','2026-11-30 05:48:10.781543','meltwater','{"text": "team"}',NULL,'ignored',NULL,NULL,NULL,NULL,NULL,NULL,'["tidak relevan: tidak ada kata UPT/WBP/Ditjenpas \u2192 0 < 2"]','team');
INSERT INTO "alerts" VALUES('84e4b2c2-f22a-486a-954f-8e428fbcac15','2026-11-30 05:48:10.789819','meltwater','{"reach": 984798, "sentiment": "Ï", "published_at": "", "unit": "\u0007¡\u000fL", "text": "¿򜲚𪏶ã}W4ü𢑳"}',NULL,'rejected','[0].published_at: Input should be a valid datetime or date, input is too short; [0].sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('eb930abc-08fb-47e5-ad52-0447d066cd8a','2026-11-30 05:48:10.792933','meltwater','{"sentiment": "\u0007¡\u000fL", "text": "\u0012)򦻟8²", "reach": 984798, "published_at": "ûÛ򡃰򒧷&\u0019·<򵕣\u0003\u0016Æ®", "url": "©d򞌹Äi", "unit": ""}',NULL,'rejected','[2].url: Input should be a valid URL, relative URL without a base; [2].published_at: Input should be a valid datetime or date, invalid character in year; [2].sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('148333f6-24c0-48f6-bb0c-3ba86ae40420','2026-11-30 05:48:10.795392','meltwater','{"text": "team"}',NULL,'ignored',NULL,NULL,NULL,NULL,NULL,NULL,'["tidak relevan: tidak ada kata UPT/WBP/Ditjenpas \u2192 0 < 2"]','team');
INSERT INTO "alerts" VALUES('d1aa9e1f-2fc0-46b5-8768-dbede0792a54','2026-11-30 05:48:10.804164','meltwater','{"sentiment": "\u0007¡\u000fL", "text": "\u0012)򦻟8²", "reach": 984798, "published_at": "ûÛ򡃰򒧷&\u0019·<򵕣\u0003\u0016Æ®", "url": "©d򞌹Äi", "unit": ""}',NULL,'rejected','[2].url: Input should be a valid URL, relative URL without a base; [2].published_at: Input should be a valid datetime or date, invalid character in year; [2].sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('2708d89a-a5c9-469e-bba9-a0daa47fde3b','2026-11-30 05:48:10.806457','meltwater','{"text": "team"}',NULL,'ignored',NULL,NULL,NULL,NULL,NULL,NULL,'["tidak relevan: tidak ada kata UPT/WBP/Ditjenpas \u2192 0 < 2"]','team');
INSERT INTO "alerts" VALUES('4a75d3ec-4fe4-4a85-961f-37a61bee66a2','2026-11-30 05:48:10.808113','meltwater','{"text": "team"}',NULL,'ignored',NULL,NULL,NULL,NULL,NULL,NULL,'["tidak relevan: tidak ada kata UPT/WBP/Ditjenpas \u2192 0 < 2"]','team');
INSERT INTO "alerts" VALUES('de3596e9-e346-4984-b5c9-30d33a1d5a36','2026-11-30 05:48:10.813593','meltwater','{"text": "team"}',NULL,'ignored',NULL,NULL,NULL,NULL,NULL,NULL,'["tidak relevan: tidak ada kata UPT/WBP/Ditjenpas \u2192 0 < 2"]','team');
INSERT INTO "alerts" VALUES('1f19c5ce-75d9-4f6a-a1c7-98e8684628fb','2026-11-30 05:48:10.816448','meltwater','{"text": "team"}',NULL,'ignored',NULL,NULL,NULL,NULL,NULL,NULL,'["tidak relevan: tidak ada kata UPT/WBP/Ditjenpas \u2192 0 < 2"]','team');
INSERT INTO "alerts" VALUES('2f506aef-20b4-4c06-b00e-2e67d4536295','2026-11-30 05:48:10.817580','meltwater','{"text": "team"}',NULL,'ignored',NULL,NULL,NULL,NULL,NULL,NULL,'["tidak relevan: tidak ada kata UPT/WBP/Ditjenpas \u2192 0 < 2"]','team');
INSERT INTO "alerts" VALUES('147c770b-6795-4743-a8ee-3088301205f9','2026-11-30 05:48:10.825277','meltwater','{"reach": 33212, "sentiment": "¨''\fÃ򬓎", "url": "", "published_at": "0", "text": "ª\u0004È\u0015𳔽±<x\u000f]Ùyo¦\u0015", "unit": "±"}',NULL,'rejected','[0].url: Input should be a valid URL, input is empty; [0].sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('cc8aa6a5-ce7a-44e6-aaf0-42c85e6024cb','2026-11-30 05:48:10.827359','meltwater','{"url": "°", "sentiment": "𱮈\u0012ª", "text": "", "published_at": "üÖ", "reach": 251573903, "unit": "·\rÕ"}',NULL,'rejected','[1].url: Input should be a valid URL, relative URL without a base; [1].text: String should have at least 1 character; [1].published_at: Input should be a valid datetime or date, input is too short; [1].sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('c740b979-8a6d-42ef-83ca-f093f9759a2f','2026-11-30 05:48:10.828601','meltwater','{"reach": 1586, "text": "\u00124©5񀺰$½Zì\u0014󦫙񭫝J\u0018򪑇", "url": "\u0005P𤳾¥\u000e\u000e"}',NULL,'rejected','[2].url: Input should be a valid URL, relative URL without a base',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('edce25fb-6f92-4fab-9e06-d513d80048e1','2026-11-30 05:48:10.835089','meltwater','{"reach": 33212, "sentiment": "¨''\fÃ򬓎", "url": "", "published_at": "0", "text": "ª\u0004È\u0015𳔽±<x\u000f]Ùyo¦\u0015", "unit": "±"}',NULL,'rejected','[0].url: Input should be a valid URL, input is empty; [0].sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('802e6857-e227-4e35-b02e-cab3d9c21d2d','2026-11-30 05:48:10.836914','meltwater','{"url": "°", "sentiment": "𱮈\u0012ª", "text": "", "published_at": "üÖ", "reach": 251573903, "unit": "·\rÕ"}',NULL,'rejected','[1].url: Input should be a valid URL, relative URL without a base; [1].text: String should have at least 1 character; [1].published_at: Input should be a valid datetime or date, input is too short; [1].sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('f13d2e23-b292-454e-a9dd-f36fe0988996','2026-11-30 05:48:10.838692','meltwater','{"reach": 1586, "text": "𱮈\u0012ª", "url": "\u0005P𤳾¥\u000e\u000e"}',NULL,'rejected','[2].url: Input should be a valid URL, relative URL without a base',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('89fed0e3-3064-4faa-9879-4a603b55b1ca','2026-11-30 05:48:10.845726','meltwater','{"reach": 1586, "sentiment": "¨''\fÃ򬓎", "url": "", "published_at": "0", "text": "ª\u0004È\u0015𳔽±<x\u000f]Ùyo¦\u0015", "unit": "±"}',NULL,'rejected','[0].url: Input should be a valid URL, input is empty; [0].sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('6e5ea76e-6a70-4c37-aefb-a64e2ed26d6f','2026-11-30 05:48:10.848065','meltwater','{"url": "°", "sentiment": "𱮈\u0012ª", "text": "", "published_at": "üÖ", "reach": 251573903, "unit": "·\rÕ"}',NULL,'rejected','[1].url: Input should be a valid URL, relative URL without a base; [1].text: String should have at least 1 character; [1].published_at: Input should be a valid datetime or date, input is too short; [1].sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('c020d0e1-4a30-457a-ace3-8f971e4d3b7d','2026-11-30 05:48:10.849531','meltwater','{"reach": 1586, "text": "𱮈\u0012ª", "url": "\u0005P𤳾¥\u000e\u000e"}',NULL,'rejected','[2].url: Input should be a valid URL, relative URL without a base',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('fafc0888-4430-4c18-b188-9e6eec00b5b4','2026-11-30 05:48:10.857145','meltwater','{"reach": 1586, "sentiment": "0", "url": "", "published_at": "0", "text": "ª\u0004È\u0015𳔽±<x\u000f]Ùyo¦\u0015", "unit": "±"}',NULL,'rejected','[0].url: Input should be a valid URL, input is empty; [0].sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('434ad26b-3ef7-40cc-8ac3-5d3d506b56ca','2026-11-30 05:48:10.859123','meltwater','{"url": "°", "sentiment": "𱮈\u0012ª", "text": "", "published_at": "üÖ", "reach": 251573903, "unit": "·\rÕ"}',NULL,'rejected','[1].url: Input should be a valid URL, relative URL without a base; [1].text: String should have at least 1 character; [1].published_at: Input should be a valid datetime or date, input is too short; [1].sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('89004daf-303d-4dbf-801d-017893985697','2026-11-30 05:48:10.860385','meltwater','{"reach": 1586, "text": "𱮈\u0012ª", "url": "\u0005P𤳾¥\u000e\u000e"}',NULL,'rejected','[2].url: Input should be a valid URL, relative URL without a base',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('27ad0b62-b3b3-46d3-a7d5-dfecc3fa0437','2026-11-30 05:48:10.868208','meltwater','{"reach": 1586, "sentiment": "0", "url": "", "published_at": "0", "text": "ª\u0004È\u0015𳔽±<x\u000f]Ùyo¦\u0015", "unit": "±"}',NULL,'rejected','[0].url: Input should be a valid URL, input is empty; [0].sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('c227bd4a-9040-435d-852a-653fc3093ac9','2026-11-30 05:48:10.870048','meltwater','{"url": "°", "sentiment": "𱮈\u0012ª", "text": "", "published_at": "üÖ", "reach": 251573903, "unit": "·\rÕ"}',NULL,'rejected','[1].url: Input should be a valid URL, relative URL without a base; [1].text: String should have at least 1 character; [1].published_at: Input should be a valid datetime or date, input is too short; [1].sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('092fd5aa-14b2-436c-93b8-8bd1eeebc702','2026-11-30 05:48:10.871462','meltwater','{"reach": 1586, "sentiment": "0", "url": "", "published_at": "0", "text": "ª\u0004È\u0015𳔽±<x\u000f]Ùyo¦\u0015", "unit": "±"}',NULL,'rejected','[2].url: Input should be a valid URL, input is empty; [2].sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('5b38ceed-1054-4e9d-8861-8e215f612c67','2026-11-30 05:48:10.880030','meltwater','{"reach": 1586, "sentiment": "0", "url": "", "published_at": "0", "text": "ª\u0004È\u0015𳔽±<x\u000f]Ùyo¦\u0015", "unit": "±"}',NULL,'rejected','[0].url: Input should be a valid URL, input is empty; [0].sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('5497e367-33d6-4c8c-972b-095fa7cb5d43','2026-11-30 05:48:10.881872','meltwater','{"url": "°", "sentiment": "𱮈\u0012ª", "text": "", "published_at": "üÖ", "reach": 251573903, "unit": "·\rÕ"}',NULL,'rejected','[1].url: Input should be a valid URL, relative URL without a base; [1].text: String should have at least 1 character; [1].published_at: Input should be a valid datetime or date, input is too short; [1].sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('50fa44c7-af9f-4a16-9c22-0196fe51e65a','2026-11-30 05:48:10.883392','meltwater','{"reach": 251573903, "sentiment": "0", "url": "", "published_at": "0", "text": "ª\u0004È\u0015𳔽±<x\u000f]Ùyo¦\u0015", "unit": "±"}',NULL,'rejected','[2].url: Input should be a valid URL, input is empty; [2].sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('e037b05d-a9ec-45d1-ada6-5da217437428','2026-11-30 05:48:10.891155','meltwater','{"reach": 251573903, "sentiment": "0", "url": "", "published_at": "0", "text": "ª\u0004È\u0015𳔽±<x\u000f]Ùyo¦\u0015", "unit": "±"}',NULL,'rejected','[0].url: Input should be a valid URL, input is empty; [0].sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('934a005b-195f-4bb1-be9d-123c4430f71f','2026-11-30 05:48:10.893074','meltwater','{"url": "°", "sentiment": "𱮈\u0012ª", "text": "", "published_at": "üÖ", "reach": 251573903, "unit": "·\rÕ"}',NULL,'rejected','[1].url: Input should be a valid URL, relative URL without a base; [1].text: String should have at least 1 character; [1].published_at: Input should be a valid datetime or date, input is too short; [1].sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('64a50e89-44cc-4479-98f4-946ddd2646fc','2026-11-30 05:48:10.894144','meltwater','{"reach": 251573903, "sentiment": "0", "url": "", "published_at": "0", "text": "ª\u0004È\u0015𳔽±<x\u000f]Ùyo¦\u0015", "unit": "±"}',NULL,'rejected','[2].url: Input should be a valid URL, input is empty; [2].sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('c8d06494-81df-441c-b855-968729c72b3a','2026-11-30 05:48:10.899654','meltwater','{"text": "􎊮𐒴"}',NULL,'ignored',NULL,NULL,NULL,NULL,NULL,NULL,'["tidak relevan: tidak ada kata UPT/WBP/Ditjenpas \u2192 0 < 2"]','􎊮𐒴');
INSERT INTO "alerts" VALUES('446d89f7-1f42-40bf-a802-4a9ee027a6e9','2026-11-30 05:48:10.904827','meltwater','true',NULL,'rejected','expected an alert object, a list of alerts or {''documents'': [...]}, got bool',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('0fffc05e-fb2b-4dd7-9afc-f489db245834','2026-11-30 05:48:10.914577','meltwater','{"": [], "O´Úø": null, "": [false]}',NULL,'rejected','documents[0].content: Field required',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('98334ef3-255f-4f2e-8723-3892ccaa0f57','2026-11-30 05:48:10.916275','meltwater','{"󆳔󟢄": [["incidents"]], "§/k񀾆Ê": [["ü", false, "µþ\u001c", 214392124253190754402304], [true, "¦I򜌼H", true, null], {}, []], "é@Æê": {"Ï": 4.872053256275243e+16, "__proto__": null}}',NULL,'rejected','documents[1].content: Field required',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('9d39d774-3135-4632-8398-dcfe1e9ce57c','2026-11-30 05:48:10.927559','meltwater','{"󆳔󟢄": [["incidents"]], "§/k񀾆Ê": [["ü", false, "µþ\u001c", 214392124253190754402304], [true, "¦I򜌼H", true, null], {}, []], "é@Æê": {"Ï": 4.872053256275243e+16, "__proto__": null}}',NULL,'rejected','documents[0].content: Field required',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('f6daf784-0a1d-48f9-9020-4cb9da811e62','2026-11-30 05:48:10.929438','meltwater','{"󆳔󟢄": [["incidents"]], "§/k񀾆Ê": [["ü", false, "µþ\u001c", 214392124253190754402304], [true, "¦I򜌼H", true, null], {}, []], "é@Æê": {"Ï": 4.872053256275243e+16, "__proto__": null}}',NULL,'rejected','documents[1].content: Field required',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('2ce99b19-be11-4b45-ad30-4ccbbf616f39','2026-11-30 05:48:10.946425','meltwater','{"\u0013": 14480}',NULL,'rejected','[0].text: Field required',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('aac68031-cb9d-4442-a58e-7bac1cb9f187','2026-11-30 05:48:10.948461','meltwater','false',NULL,'rejected','[1].(body): Input should be a valid dictionary or instance of Alert',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('92896073-c3fd-4fbf-b325-e4f3540e900d','2026-11-30 05:48:10.949659','meltwater','{}',NULL,'rejected','[2].text: Field required',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('b16b103c-7879-48f0-b5b5-075505e1225c','2026-11-30 05:48:10.951045','meltwater','200',NULL,'rejected','[3].(body): Input should be a valid dictionary or instance of Alert',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('482c0bda-7c65-4c31-b5ea-39fe91cfb9d7','2026-11-30 05:48:10.956678','meltwater','{"\u0013": 14480}',NULL,'rejected','[0].text: Field required',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('ce3b7ce9-1245-4d3f-8e44-a5ce5bae7061','2026-11-30 05:48:10.958387','meltwater','false',NULL,'rejected','[1].(body): Input should be a valid dictionary or instance of Alert',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('31605f2e-78c7-4592-957a-aa4c5ebf4001','2026-11-30 05:48:10.959514','meltwater','{"\u0013": null}',NULL,'rejected','[2].text: Field required',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('e304e9d1-ec83-4b16-855a-6e971c62cfa2','2026-11-30 05:48:10.964983','meltwater','{"\u0013": null, "": []}',NULL,'rejected','[0].text: Field required',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('c325fb63-9b23-469d-8f39-a81d3db9d6ee','2026-11-30 05:48:10.973246','meltwater','false',NULL,'rejected','expected an alert object, a list of alerts or {''documents'': [...]}, got bool',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('e5872648-d606-4e19-8403-215d2c48b085','2026-11-30 05:48:10.979200','meltwater','-4.82432897668151e+16',NULL,'rejected','expected an alert object, a list of alerts or {''documents'': [...]}, got float',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('b703308c-8641-4a55-b268-93e345ff05f1','2026-11-30 05:48:10.984497','meltwater','null',NULL,'rejected','[0].(body): Input should be a valid dictionary or instance of Alert',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('9102a994-b46b-41c9-9b44-c047ff22cf61','2026-11-30 05:48:10.986922','meltwater','0.5',NULL,'rejected','[1].(body): Input should be a valid dictionary or instance of Alert',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('68dd0a5c-2569-4eab-a995-b7f8bc367a76','2026-11-30 05:48:10.988287','meltwater','-38223',NULL,'rejected','[2].(body): Input should be a valid dictionary or instance of Alert',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('d4b2e455-201e-4833-816f-2c4954a696e7','2026-11-30 05:48:10.989332','meltwater','true',NULL,'rejected','[3].(body): Input should be a valid dictionary or instance of Alert',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('2dcfdc51-4c07-4497-8696-f93935c69484','2026-11-30 05:48:10.995067','meltwater','-38223',NULL,'rejected','[0].(body): Input should be a valid dictionary or instance of Alert',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('2a908bcb-56ad-4422-b7d8-7e8ea5f52c7e','2026-11-30 05:48:10.996909','meltwater','0.5',NULL,'rejected','[1].(body): Input should be a valid dictionary or instance of Alert',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('251988b3-8b27-4499-9c20-ea02fbed824f','2026-11-30 05:48:10.998199','meltwater','-38223',NULL,'rejected','[2].(body): Input should be a valid dictionary or instance of Alert',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('afca444a-8360-47e8-b407-3e439fd28e2c','2026-11-30 05:48:10.999206','meltwater','true',NULL,'rejected','[3].(body): Input should be a valid dictionary or instance of Alert',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('3f863bb8-0379-450e-8af6-f634b75a53a3','2026-11-30 05:48:11.003966','meltwater','-38223',NULL,'rejected','[0].(body): Input should be a valid dictionary or instance of Alert',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('8425f942-5c02-4f06-92a8-a9edbca7fb32','2026-11-30 05:48:11.005953','meltwater','0.5',NULL,'rejected','[1].(body): Input should be a valid dictionary or instance of Alert',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('19a77f69-07a9-41d6-992c-87f2d95ec9d0','2026-11-30 05:48:11.007128','meltwater','-38223',NULL,'rejected','[2].(body): Input should be a valid dictionary or instance of Alert',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('bb853b31-b1ef-4fa9-980a-52784481484a','2026-11-30 05:48:11.008257','meltwater','-38223',NULL,'rejected','[3].(body): Input should be a valid dictionary or instance of Alert',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('691d8a0a-5a77-4350-99aa-154a16a12a40','2026-11-30 05:48:11.014381','meltwater','-38223',NULL,'rejected','[0].(body): Input should be a valid dictionary or instance of Alert',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('77fc3d14-0a01-4a72-a254-20369abcb30f','2026-11-30 05:48:11.016445','meltwater','0.5',NULL,'rejected','[1].(body): Input should be a valid dictionary or instance of Alert',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('816b0fd9-a672-4438-b3e1-35502c5667f0','2026-11-30 05:48:11.017690','meltwater','0.5',NULL,'rejected','[2].(body): Input should be a valid dictionary or instance of Alert',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('edf57987-d948-470e-974c-d61f04321ef6','2026-11-30 05:48:11.018808','meltwater','-38223',NULL,'rejected','[3].(body): Input should be a valid dictionary or instance of Alert',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('278595af-c078-418f-9494-d02072dedd09','2026-11-30 05:48:11.028377','meltwater','2.2517299447910844e+16',NULL,'rejected','[0].(body): Input should be a valid dictionary or instance of Alert',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('2941ae4e-4b91-4a77-8c8a-f7713617f20a','2026-11-30 05:48:11.042407','meltwater','["»R/", "ÄI𴮚ró󤀲񄽮\u0017%[µv²", null, -6.084450195258954e+16]',NULL,'rejected','[0].(body): Input should be a valid dictionary or instance of Alert',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('7b8987e2-3d5a-442e-94af-76c653f5381d','2026-11-30 05:48:11.050763','meltwater','["»R/", "»R/", null, -6.084450195258954e+16]',NULL,'rejected','[0].(body): Input should be a valid dictionary or instance of Alert',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('5098c10c-10e2-496f-8c9a-3cb89d6430e0','2026-11-30 05:48:11.062869','meltwater','["»R/", "»R/", "»R/", -6.084450195258954e+16]',NULL,'rejected','[0].(body): Input should be a valid dictionary or instance of Alert',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('e3555821-eea6-45b6-9b60-f1c561710925','2026-11-30 05:48:11.071615','meltwater','-4.351113062690006e+275',NULL,'rejected','expected an alert object, a list of alerts or {''documents'': [...]}, got float',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('05c43b57-5927-435b-9368-01fed1cbb865','2026-11-30 05:48:11.082586','meltwater','{"sentiment": "ò򷐉äö}è\u0007𡤧e", "published_at": "È''Ç+𘆡ï", "url": "𥕃Ï", "text": "񰥮5", "unit": "\u001d\u0017¢"}',NULL,'rejected','[0].url: Input should be a valid URL, relative URL without a base; [0].published_at: Input should be a valid datetime or date, invalid character in year; [0].sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('a9396537-69d4-4c93-8add-115610d585f2','2026-11-30 05:48:11.085245','meltwater','{"url": "eÏ", "published_at": "", "text": "¡", "unit": "ð䂛񚔌ª4󇝢>Ë", "sentiment": "򥖈􏲆º£\u0017𚈉\fo", "reach": 401}',NULL,'rejected','[1].url: Input should be a valid URL, relative URL without a base; [1].published_at: Input should be a valid datetime or date, input is too short; [1].sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('cdece60d-fb2d-4421-a50c-e89d2804c584','2026-11-30 05:48:11.086941','meltwater','{"unit": "\u001c\u0012򹙋", "reach": -10, "url": "𥹏", "text": "", "published_at": "", "sentiment": ""}',NULL,'rejected','[2].url: Input should be a valid URL, relative URL without a base; [2].text: String should have at least 1 character; [2].published_at: Input should be a valid datetime or date, input is too short; [2].reach: Input should be greater than or equal to 0; [2].sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('c0ce4c78-a1a5-462a-a4d2-56a88278f3ee','2026-11-30 05:48:11.096905','meltwater','{"sentiment": "ò򷐉äö}è\u0007𡤧e", "published_at": "È''Ç+𘆡ï", "url": "𥕃Ï", "text": "񰥮5", "unit": "\u001d\u0017¢"}',NULL,'rejected','[0].url: Input should be a valid URL, relative URL without a base; [0].published_at: Input should be a valid datetime or date, invalid character in year; [0].sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('afcadcc3-58d3-4a22-be02-af57b8df2b9b','2026-11-30 05:48:11.099398','meltwater','{"url": "eÏ", "published_at": "", "text": "¡", "unit": "ð䂛񚔌ª4󇝢>Ë", "sentiment": "򥖈􏲆º£\u0017𚈉\fo", "reach": 401}',NULL,'rejected','[1].url: Input should be a valid URL, relative URL without a base; [1].published_at: Input should be a valid datetime or date, input is too short; [1].sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('c7825ee8-f72c-4462-b67f-5eb858b432f5','2026-11-30 05:48:11.100677','meltwater','{"unit": "\u001c\u0012򹙋", "reach": 401, "url": "𥹏", "text": "", "published_at": "", "sentiment": ""}',NULL,'rejected','[2].url: Input should be a valid URL, relative URL without a base; [2].text: String should have at least 1 character; [2].published_at: Input should be a valid datetime or date, input is too short; [2].sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('411e5b07-92c6-48d9-ac60-e09a4b556eb4','2026-11-30 05:48:11.109127','meltwater','{"text": ""}',NULL,'rejected','[0].text: String should have at least 1 character',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('5bf26df1-8153-4710-90b0-3cc9991bc920','2026-11-30 05:48:11.111471','meltwater','{"url": "eÏ", "published_at": "", "text": "¡", "unit": "ð䂛񚔌ª4󇝢>Ë", "sentiment": "򥖈􏲆º£\u0017𚈉\fo", "reach": 401}',NULL,'rejected','[1].url: Input should be a valid URL, relative URL without a base; [1].published_at: Input should be a valid datetime or date, input is too short; [1].sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('5b701abc-74b8-4d13-a1b6-02a11b7dd1b0','2026-11-30 05:48:11.113240','meltwater','{"unit": "\u001c\u0012򹙋", "reach": 401, "url": "𥹏", "text": "", "published_at": "", "sentiment": ""}',NULL,'rejected','[2].url: Input should be a valid URL, relative URL without a base; [2].text: String should have at least 1 character; [2].published_at: Input should be a valid datetime or date, input is too short; [2].sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('9e500671-533f-4984-b7fc-40161bd7ef7a','2026-11-30 05:48:11.121559','meltwater','{"text": ""}',NULL,'rejected','[0].text: String should have at least 1 character',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('5b60d1e8-3d62-4833-a105-77269ce95854','2026-11-30 05:48:11.124020','meltwater','{"url": "eÏ", "published_at": "", "text": "¡", "unit": "ð䂛񚔌ª4󇝢>Ë", "sentiment": "򥖈􏲆º£\u0017𚈉\fo", "reach": 401}',NULL,'rejected','[1].url: Input should be a valid URL, relative URL without a base; [1].published_at: Input should be a valid datetime or date, input is too short; [1].sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('b02003f7-663c-43e2-ae90-7fe3b4c03d1a','2026-11-30 05:48:11.126213','meltwater','{"unit": "\u001c\u0012򹙋", "sentiment": "", "url": "𥹏", "text": "", "published_at": "", "reach": 0}',NULL,'rejected','[2].url: Input should be a valid URL, relative URL without a base; [2].text: String should have at least 1 character; [2].published_at: Input should be a valid datetime or date, input is too short; [2].sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('b638f789-f9c0-4987-b34f-6a949e7a8c9f','2026-11-30 05:48:11.139886','meltwater','{"text": ""}',NULL,'rejected','[0].text: String should have at least 1 character',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('afbeb427-6a26-47db-9b5e-860f831927c3','2026-11-30 05:48:11.141825','meltwater','{"url": "eÏ", "published_at": "", "text": "¡", "unit": "ð䂛񚔌ª4󇝢>Ë", "sentiment": "򥖈􏲆º£\u0017𚈉\fo", "reach": 401}',NULL,'rejected','[1].url: Input should be a valid URL, relative URL without a base; [1].published_at: Input should be a valid datetime or date, input is too short; [1].sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('01af024c-aee4-4802-81eb-aa4eb30a30a5','2026-11-30 05:48:11.142996','meltwater','{"text": ""}',NULL,'rejected','[2].text: String should have at least 1 character',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('de81c330-1929-45a0-8d7f-9f1b1e4c7db2','2026-11-30 05:48:11.150480','meltwater','{"text": ""}',NULL,'rejected','[0].text: String should have at least 1 character',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('46fc97af-a30f-42f5-96f5-722b8c6bb608','2026-11-30 05:48:11.152416','meltwater','{"unit": "eÏ", "published_at": "", "text": "¡", "sentiment": "ð䂛񚔌ª4󇝢>Ë", "url": "", "reach": 401}',NULL,'rejected','[1].url: Input should be a valid URL, input is empty; [1].published_at: Input should be a valid datetime or date, input is too short; [1].sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('447461c0-a9b0-4f11-95ed-1f80ffce38cc','2026-11-30 05:48:11.153478','meltwater','{"text": ""}',NULL,'rejected','[2].text: String should have at least 1 character',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('97bb6696-806a-4f27-bd16-1820db15bd52','2026-11-30 05:48:11.159491','meltwater','{"text": ""}',NULL,'rejected','[0].text: String should have at least 1 character',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('47d32f01-fc15-44bb-aac3-2956a0daa17b','2026-11-30 05:48:11.161364','meltwater','{"text": ""}',NULL,'rejected','[1].text: String should have at least 1 character',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('39cda55f-b93c-425d-8506-fe7a3f0844f3','2026-11-30 05:48:11.162448','meltwater','{"text": ""}',NULL,'rejected','[2].text: String should have at least 1 character',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('c2eba4bd-2981-40d7-8dc0-ef8acd458af3','2026-11-30 05:48:11.181234','meltwater','{"documents": [[222, -4.596256377000962e+16, false, {"\ud9b2\udf60\u00fb\u001b\uda82\udd03b\uda27\udd8b\u00cf": -4.452195007523101e+16, "\u00a5": [null, -0.0, -6.4794878440641704e+16, true], ">4\u00b3\u0091\u00c6\u00af\u00e4q\u00aeI\u00aa.": "\u00cf", "": {"5e\u00bc\u00a9\ud9e8\udc004\ud959\udd64\u00a0w>\u00eb\u00de": "\u00b1\uda8f\udf47\u00fe \u00d3MD", ";K\u0099": null}, " atau ": {}}], [[{}], [], {"prefect": [-337, false, null, ""], "U\u0083R%\u0d28\u0092!\u00f9\u00d6\u0013}@": 1.3132816244796434e+16, "\u0099T\u00f1o": false, "\u00e8\u007fZ": -576460752303423489, "": {"\u00de\u1f40f": "\u00ad\udabd\uddfd)\u0006", "\u00d87\u00aa\ue903\u009e\u001dy\u00d6=\u00d0\u00b7\u00f7": false}}, []], {"\"\ud8d7\udd29>\ua3e7\u001d9}\u00f3\u00a1Su": {"\u00a3\b\t\u0081\ud94d\ude76": "\u00f2`H\"a\ud8a3\udedd\u00eaK\ud96f\udff6E\udaaa\udcf5\u00e4\u0082\u00bd\u00c8\u0011", "\u0088%\u00b6\udadb\uddd3": false, "lir7": 7.682665173754281e-274}}]}',NULL,'rejected','documents.0: Input should be a valid dictionary; documents.1: Input should be a valid dictionary',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('bf0accd4-edf6-4716-8dba-c0226c3555c7','2026-11-30 05:48:11.196229','meltwater','{"documents": [[{}], [[{}], [], {"prefect": [-337, false, null, ""], "U\u0083R%\u0d28\u0092!\u00f9\u00d6\u0013}@": 1.3132816244796434e+16, "\u0099T\u00f1o": false, "\u00e8\u007fZ": -576460752303423489, "": {"\u00de\u1f40f": "\u00ad\udabd\uddfd)\u0006", "\u00d87\u00aa\ue903\u009e\u001dy\u00d6=\u00d0\u00b7\u00f7": false}}, []], {"\"\ud8d7\udd29>\ua3e7\u001d9}\u00f3\u00a1Su": {"\u00a3\b\t\u0081\ud94d\ude76": "\u00f2`H\"a\ud8a3\udedd\u00eaK\ud96f\udff6E\udaaa\udcf5\u00e4\u0082\u00bd\u00c8\u0011", "\u0088%\u00b6\udadb\uddd3": false, "lir7": 7.682665173754281e-274}}]}',NULL,'rejected','documents.0: Input should be a valid dictionary; documents.1: Input should be a valid dictionary',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('b627293c-a683-457c-a6f8-eda8418d9899','2026-11-30 05:48:11.204640','meltwater','{"documents": [[{}], [[{}], [], [true]], []]}',NULL,'rejected','documents.0: Input should be a valid dictionary; documents.1: Input should be a valid dictionary; documents.2: Input should be a valid dictionary',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('355a70d2-06f7-4cc7-9f04-3a8eae683d19','2026-11-30 05:48:11.212661','meltwater','{"documents": [[{}], [[[]], [], [true]], []]}',NULL,'rejected','documents.0: Input should be a valid dictionary; documents.1: Input should be a valid dictionary; documents.2: Input should be a valid dictionary',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('08b96c5b-e5c8-4bdd-bbed-f2f3f4da213d','2026-11-30 05:48:11.224472','meltwater','{"documents": [[{}], [[[]], [], null], []]}',NULL,'rejected','documents.0: Input should be a valid dictionary; documents.1: Input should be a valid dictionary; documents.2: Input should be a valid dictionary',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('074ef53e-2f90-4e62-ba67-3daa4fa850ef','2026-11-30 05:48:11.234299','meltwater','{"documents": [[{}], [[[]], [], []], []]}',NULL,'rejected','documents.0: Input should be a valid dictionary; documents.1: Input should be a valid dictionary; documents.2: Input should be a valid dictionary',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('04663d95-9d7f-4e6d-9eba-1b029a1d5fb8','2026-11-30 05:48:11.244037','meltwater','{"documents": [[{}], [[[]], [], []], []]}',NULL,'rejected','documents.0: Input should be a valid dictionary; documents.1: Input should be a valid dictionary; documents.2: Input should be a valid dictionary',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('0bd6794d-e68d-4ec3-81d3-ae26ee71f584','2026-11-30 05:48:11.251935','meltwater','{"unit": "", "text": "r"}',NULL,'ignored',NULL,NULL,NULL,NULL,NULL,NULL,'["tidak relevan: tidak ada kata UPT/WBP/Ditjenpas \u2192 0 < 2"]','r');
INSERT INTO "alerts" VALUES('e3be9a36-6c7b-4bb0-b138-117769ae62d1','2026-11-30 05:48:11.260204','meltwater','{"unit": "", "text": ""}',NULL,'rejected','text: String should have at least 1 character',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('588a6229-1cd2-479e-81cf-549d151eb5cb','2026-11-30 05:48:11.270637','meltwater','{"": [{"label": false}], "ûs": [null, null, 63504, null]}',NULL,'rejected','text: Field required',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('505421c2-d621-484d-8717-3b3f7a2d7f8e','2026-11-30 05:48:11.279628','meltwater','{}',NULL,'rejected','documents[0].content: Field required',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('0bf20a50-fcb5-47cc-9fd5-23be821a0fc5','2026-11-30 05:48:11.290249','meltwater','{}',NULL,'rejected','text: Field required',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('4210d996-83f4-4f3b-a4ce-84851ec33ede','2026-11-30 05:48:11.314184','meltwater','{"4򂄌\u000b": 511, "򡃡": {"-Infinity": "󖺧âÑ", "LPT1": "§V򭍭>", "Õ챯󿓉ô": null, "?â": -503374}, "\u001e\u0001jF}j­𸻢󢆖Z": {"򤏐": null, "á\u001feä¨2%": 756, "â": 1.1803175307059404e+16, "V": null, "𸾥񼆠": -355}}',NULL,'rejected','text: Field required',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('40c1ec10-6e91-4a4c-a261-810b208ac920','2026-11-30 05:48:11.326371','meltwater','{"\u0000¦8񤸱ë񓽶§#񑯥¬": true, "¾¶\u0000񎞥S\nÕ\"l": "X", "|9񄘳d¶«Vô\\ï([": null, "\"": "\u0010󆸰à", "L+膭Û\u0005𻆴": 2414094}',NULL,'rejected','[0].text: Field required',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('7e996a81-2459-4997-bcba-112ec3133f2e','2026-11-30 05:48:11.328635','meltwater','[261, 261, ""]',NULL,'rejected','[1].(body): Input should be a valid dictionary or instance of Alert',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('b4a8733a-3c33-4657-8c01-50f6e4ede542','2026-11-30 05:48:11.337624','meltwater','[261, 261, ""]',NULL,'rejected','[0].(body): Input should be a valid dictionary or instance of Alert',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('af61b303-7e81-4abd-a909-560c51abc449','2026-11-30 05:48:11.340660','meltwater','[261, 261, ""]',NULL,'rejected','[1].(body): Input should be a valid dictionary or instance of Alert',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('6b81cb4d-b50d-49b7-9be4-9012a895d8e5','2026-11-30 05:48:11.351598','meltwater','[261, 261, ""]',NULL,'rejected','[0].(body): Input should be a valid dictionary or instance of Alert',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('34e9fbb9-f19b-47cd-bb3d-ec6d541a36b6','2026-11-30 05:48:11.354450','meltwater','[261, "", ""]',NULL,'rejected','[1].(body): Input should be a valid dictionary or instance of Alert',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('e62f1ffd-c3a9-4b21-a64c-592e8c4c1ab7','2026-11-30 05:48:11.363710','meltwater','[261, "", ""]',NULL,'rejected','[0].(body): Input should be a valid dictionary or instance of Alert',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('0ad75f3a-210e-4b1b-8199-9dd6f627ee53','2026-11-30 05:48:11.366808','meltwater','[261, "", ""]',NULL,'rejected','[1].(body): Input should be a valid dictionary or instance of Alert',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('5ec72620-4f28-48a5-aacb-8296af64f1fa','2026-11-30 05:48:11.375724','meltwater','[261, "", ""]',NULL,'rejected','[0].(body): Input should be a valid dictionary or instance of Alert',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('4d4fd539-a741-4aab-aa38-bc24190d838e','2026-11-30 05:48:11.378579','meltwater','["", "", ""]',NULL,'rejected','[1].(body): Input should be a valid dictionary or instance of Alert',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('71cc4594-dde0-4f1f-acba-35152903f82f','2026-11-30 05:48:11.387435','meltwater','[261, "", ""]',NULL,'rejected','[0].(body): Input should be a valid dictionary or instance of Alert',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('358083a4-0bb9-4061-838b-5fc729f32554','2026-11-30 05:48:11.390405','meltwater','["", 261, ""]',NULL,'rejected','[1].(body): Input should be a valid dictionary or instance of Alert',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('8b9792fa-9d77-4cea-84fe-07bc3ad60cb3','2026-11-30 05:48:11.397329','meltwater','{"published_at": "𡵏\u0007Ý󠉹\u0007󨨁", "text": "\u0007O \u0013¾.\u001ezdÔè´\u0016î"}',NULL,'rejected','published_at: Input should be a valid datetime or date, invalid character in year',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('af5f2f18-bdf6-48c8-9ef6-ca5b4f314cb8','2026-11-30 05:48:11.405743','meltwater','{"published_at": "𡵏\u0007Ý󠉹\u0007󨨁", "text": "𡵏\u0007Ý󠉹\u0007󨨁"}',NULL,'rejected','published_at: Input should be a valid datetime or date, invalid character in year',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('52862c5f-1414-4410-a34e-793316a02939','2026-11-30 05:48:11.416013','meltwater','{"text": "𡵏\u0007Ý󠉹\u0007󨨁"}',NULL,'ignored',NULL,NULL,NULL,NULL,NULL,NULL,'["tidak relevan: tidak ada kata UPT/WBP/Ditjenpas \u2192 0 < 2"]','𡵏Ý󠉹󨨁');
INSERT INTO "alerts" VALUES('691d7da7-8f55-44cb-ab15-e7ced68504fe','2026-11-30 05:48:11.436166','meltwater','{"documents": [{"\ud9be\udf6e\ud8a7\uddb9": -3.69300290607752e-301, "\u0083\u453c": false, "\u00a7\u0094X\u009f\u00d8\u00de\u00bc\ud846\ude6c\u00c05\u0081O": [], "": {"": 0.0, "\udbc2\udc8c\ud984\udfee": 8447053, "\uda1d\ude9e\u00f7\ud80b\ude0c\fn\u0007": true, "\ua8c6h": 0.12}, "\u0001\ud87b\udc06": {"js\u009f\u008d\u0083\u00ec\u00c4.\u0013\u0097\u000e\u00ab": null, "\u00b9\ud810\udd02": 1.1754943508222875e-38, "\u0004I": 2.4543558761698624e+16, "": "\u00d8", "\u00029r\udb0b\udf13\u00b2XU\u00ed": null}}, 6.174943739182996e+44]}',NULL,'rejected','documents.1: Input should be a valid dictionary',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('a6082827-6c3a-4c0b-a604-916651299157','2026-11-30 05:48:11.456405','meltwater','{"''$򅙲d󘹗çUåÿ": {"$": true, "0+´\u001a𱞪򋳙éCHÊ": 3.1105977575168436e+16, "󵾏樬ë\u0003a¾ú=X": null, "Ⱦ": null, "baca-umpan": null}, "¸J𳗰P''": null}',NULL,'rejected','documents[0].content: Field required',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('512e74dc-ba6c-43ab-a39c-fe28b5adc61b','2026-11-30 05:48:11.486216','meltwater','{"''$򅙲d󘹗çUåÿ": {"$": true, "0+´\u001a𱞪򋳙éCHÊ": 3.1105977575168436e+16, "󵾏樬ë\u0003a¾ú=X": null, "Ⱦ": null, "baca-umpan": null}, "¸J𳗰P''": null}',NULL,'rejected','documents[0].content: Field required',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('1f551522-5dd3-4f95-947d-b5442af8bcb8','2026-11-30 05:48:11.504189','meltwater','{"unit": "0É®ßÁ¦a权򐯎", "sentiment": "ÞVK´񉦰􊑒\\m", "text": "ChannelError", "reach": 4290, "url": "\u00053»ó", "published_at": "𴂢\n񊿥"}',NULL,'rejected','url: Input should be a valid URL, relative URL without a base; published_at: Input should be a valid datetime or date, invalid character in year; sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('2a937937-21df-4564-815a-5065c0c799e9','2026-11-30 05:48:11.514027','meltwater','{"unit": "0É®ßÁ¦a权򐯎", "sentiment": "\u00053»ó", "text": "ChannelError", "reach": 4290, "url": "\u00053»ó", "published_at": "𴂢\n񊿥"}',NULL,'rejected','url: Input should be a valid URL, relative URL without a base; published_at: Input should be a valid datetime or date, invalid character in year; sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('5def29db-e435-4f65-862f-17e8f82d2cf5','2026-11-30 05:48:11.525179','meltwater','{"unit": "0É®ßÁ¦a权򐯎", "sentiment": "\u00053»ó", "text": "ChannelError", "reach": 4290, "url": "\u00053»ó", "published_at": "ChannelError"}',NULL,'rejected','url: Input should be a valid URL, relative URL without a base; published_at: Input should be a valid datetime or date, invalid character in year; sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('7cc4d080-0c7f-429d-92d9-50870154450c','2026-11-30 05:48:11.535947','meltwater','{"unit": "0É®ßÁ¦a权򐯎", "sentiment": "0É®ßÁ¦a权򐯎", "text": "ChannelError", "reach": 4290, "url": "\u00053»ó", "published_at": "ChannelError"}',NULL,'rejected','url: Input should be a valid URL, relative URL without a base; published_at: Input should be a valid datetime or date, invalid character in year; sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('bd651d73-a844-46ff-9548-4bb7cc3b5f2a','2026-11-30 05:48:11.543899','meltwater','{"text": "ChannelError", "reach": 4290, "url": "\u00053»ó"}',NULL,'rejected','url: Input should be a valid URL, relative URL without a base',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('9566b7e7-55e6-4997-bd8a-4b63c2995942','2026-11-30 05:48:11.553446','meltwater','{"text": "ChannelError", "reach": 4290, "url": "ChannelError"}',NULL,'rejected','url: Input should be a valid URL, relative URL without a base',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('ab69cd06-2873-4bb6-a5dc-432c2058badb','2026-11-30 05:48:11.568656','meltwater','{"published_at": "", "sentiment": "򑀿", "text": "äS´\u0019VªlYØâ", "url": "àºp\t\u001d\u001c}·\b\u0007CÈ\u0006B­r"}',NULL,'rejected','[0].url: Input should be a valid URL, relative URL without a base; [0].published_at: Input should be a valid datetime or date, input is too short; [0].sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('b7a1ba69-4a51-4f68-b0f1-898d6a02964d','2026-11-30 05:48:11.578040','meltwater','{"published_at": "", "sentiment": "򑀿", "text": "äS´\u0019VªlYØâ", "url": "äS´\u0019VªlYØâ"}',NULL,'rejected','[0].url: Input should be a valid URL, relative URL without a base; [0].published_at: Input should be a valid datetime or date, input is too short; [0].sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('3ae1b905-ddc1-4715-9c50-fd9249459462','2026-11-30 05:48:11.587654','meltwater','{"published_at": "", "sentiment": "򑀿", "text": "", "url": "äS´\u0019VªlYØâ"}',NULL,'rejected','[0].url: Input should be a valid URL, relative URL without a base; [0].text: String should have at least 1 character; [0].published_at: Input should be a valid datetime or date, input is too short; [0].sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('c708f6af-d90c-4285-bdba-7a00c219002d','2026-11-30 05:48:11.597128','meltwater','{"published_at": "򑀿", "sentiment": "򑀿", "text": "", "url": "äS´\u0019VªlYØâ"}',NULL,'rejected','[0].url: Input should be a valid URL, relative URL without a base; [0].text: String should have at least 1 character; [0].published_at: Input should be a valid datetime or date, input is too short; [0].sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('3501332f-6d71-454a-b462-69003196fc37','2026-11-30 05:48:11.607254','meltwater','{"published_at": "򑀿", "sentiment": "", "text": "", "url": "äS´\u0019VªlYØâ"}',NULL,'rejected','[0].url: Input should be a valid URL, relative URL without a base; [0].text: String should have at least 1 character; [0].published_at: Input should be a valid datetime or date, input is too short; [0].sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('acf55930-87f4-4871-801c-d3760b35b769','2026-11-30 05:48:11.616940','meltwater','{"reach": 313466, "text": ""}',NULL,'rejected','text: String should have at least 1 character',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('5455d48c-c26c-4965-a79a-192192aadd9d','2026-11-30 05:48:11.625885','meltwater','{"published_at": "ÄÚ\u001fþØ{þÂï", "sentiment": "L", "url": "ÎÍÁÊ\u0001x§·3", "text": ""}',NULL,'rejected','[0].url: Input should be a valid URL, relative URL without a base; [0].text: String should have at least 1 character; [0].published_at: Input should be a valid datetime or date, invalid character in year; [0].sentiment: Input should be ''positive'', ''neutral'' or ''negative''',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('a9bd5c5d-690c-48d1-8a9d-017a28ae8ab9','2026-11-30 05:48:11.629025','meltwater','{"text": "|w\u0003򓵶«å/<N򖀐:\t"}',NULL,'ignored',NULL,NULL,NULL,NULL,NULL,NULL,'["tidak relevan: tidak ada kata UPT/WBP/Ditjenpas \u2192 0 < 2"]','|w򓵶«å/<N򖀐:	');
INSERT INTO "alerts" VALUES('79fc90cc-aa45-4466-846a-142a458860a7','2026-11-30 05:48:11.644118','meltwater','',NULL,'rejected','body is not JSON: Expecting value: line 1 column 1 (char 0)',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('59b3a1f1-bbba-4449-a03a-53af674421b2','2026-11-30 05:48:11.652430','meltwater',',�',NULL,'rejected','body is not JSON: ''utf-8'' codec can''t decode byte 0xe1 in position 1: unexpected end of data',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('5e42a93e-8817-4734-861f-a03205839ba5','2026-11-30 05:48:11.659231','meltwater','�J{�E�h',NULL,'rejected','body is not JSON: ''utf-8'' codec can''t decode byte 0xb0 in position 0: invalid start byte',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('af4f5ba6-ccad-4440-a626-05a503f2a859','2026-11-30 05:48:11.667702','meltwater','3�',NULL,'rejected','body is not JSON: ''utf-8'' codec can''t decode byte 0xc2 in position 2: unexpected end of data',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('29e22355-e3c4-4f64-82fc-c3cf4d6a70d4','2026-11-30 05:48:11.675083','meltwater','�',NULL,'rejected','body is not JSON: ''utf-8'' codec can''t decode byte 0xf0 in position 0: unexpected end of data',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('f434a80e-b77c-4f30-8c3e-5cfc451fcf32','2026-11-30 05:48:11.682418','meltwater','��	��',NULL,'rejected','body is not JSON: ''utf-8'' codec can''t decode byte 0xf7 in position 0: invalid start byte',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('80e10b44-d21e-42c0-a163-5f0c186b4e41','2026-11-30 05:48:11.690176','meltwater','x��',NULL,'rejected','body is not JSON: ''utf-8'' codec can''t decode byte 0xf5 in position 1: invalid start byte',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('7ca4543f-d7ec-47c4-98fe-9ff0caf3a455','2026-11-30 05:48:11.701970','meltwater','�u�',NULL,'rejected','body is not JSON: ''utf-8'' codec can''t decode byte 0xb3 in position 0: invalid start byte',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('825ea5b7-8c9e-4efc-87e7-0a5f5d9b7721','2026-11-30 05:48:11.708922','meltwater','P�]�',NULL,'rejected','body is not JSON: ''utf-8'' codec can''t decode byte 0xe0 in position 1: invalid continuation byte',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('43232715-e2b8-4ade-8c48-cdf1da37eb5b','2026-11-30 05:48:11.714949','meltwater','�3/��',NULL,'rejected','body is not JSON: ''utf-8'' codec can''t decode byte 0xa1 in position 0: invalid start byte',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('2d259545-6943-4433-ac6e-a8eca0cfa152','2026-11-30 05:48:11.722023','meltwater','����',NULL,'rejected','body is not JSON: ''utf-8'' codec can''t decode byte 0xfa in position 0: invalid start byte',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('1ad6d75f-ec09-4117-a9bd-1fc1eab92063','2026-11-30 05:48:11.728226','meltwater','�',NULL,'rejected','body is not JSON: ''utf-8'' codec can''t decode byte 0x9b in position 0: invalid start byte',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('88c3cdd6-afdc-41ba-99b2-9666f7e6662f','2026-11-30 05:48:11.734278','meltwater','Be',NULL,'rejected','body is not JSON: Expecting value: line 1 column 1 (char 0)',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('b55e5674-2d2d-4efb-9d12-0a5a7067e8cb','2026-11-30 05:48:11.742937','meltwater','��',NULL,'rejected','body is not JSON: ''utf-8'' codec can''t decode byte 0x87 in position 1: invalid start byte',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('4b302c2f-5eb5-4a06-a4a8-d965c280f3e3','2026-11-30 05:48:11.750628','meltwater','�@N�xg�I',NULL,'rejected','body is not JSON: ''utf-8'' codec can''t decode bytes in position 0-1: invalid continuation byte',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('af78995e-faa4-4c3c-9455-068e64efd2a0','2026-11-30 05:48:11.757994','meltwater','Nq',NULL,'rejected','body is not JSON: Expecting value: line 1 column 1 (char 0)',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('beec03a6-1d1a-48c6-ac26-b5707b110391','2026-11-30 05:48:11.766778','meltwater','����%4',NULL,'rejected','body is not JSON: ''utf-8'' codec can''t decode byte 0xfc in position 0: invalid start byte',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('d09d21c0-263f-43f2-8980-d4df4f0631eb','2026-11-30 05:48:11.775323','meltwater','tz�O',NULL,'rejected','body is not JSON: ''utf-8'' codec can''t decode byte 0xdd in position 2: invalid continuation byte',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('237628f6-260e-4ade-839a-55d3e914d829','2026-11-30 05:48:11.783194','meltwater','���',NULL,'rejected','body is not JSON: ''utf-8'' codec can''t decode byte 0x80 in position 0: invalid start byte',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('73b44e4d-db7a-4c3f-a537-f66dd43353c3','2026-11-30 05:48:11.792309','meltwater','>J�o:Q�9]���',NULL,'rejected','body is not JSON: ''utf-8'' codec can''t decode byte 0x8e in position 3: invalid start byte',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('1b2a8144-5ce7-49ff-aa4e-647aff744c29','2026-11-30 05:48:11.799991','meltwater','�[',NULL,'rejected','body is not JSON: ''utf-8'' codec can''t decode byte 0x8e in position 0: invalid start byte',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('0bd321b1-d90f-425b-97e2-0aac3724e2c0','2026-11-30 05:48:11.808883','meltwater','VOm�=�',NULL,'rejected','body is not JSON: ''utf-8'' codec can''t decode bytes in position 3-4: invalid continuation byte',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('512eaa14-d824-45f1-8c23-06a2fa94d002','2026-11-30 05:48:11.817490','meltwater','~
q�',NULL,'rejected','body is not JSON: ''utf-8'' codec can''t decode byte 0xef in position 3: unexpected end of data',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('f0064f2c-d0a4-4202-816d-e9aa22e0ede0','2026-11-30 05:48:11.825514','meltwater','�',NULL,'rejected','body is not JSON: ''utf-8'' codec can''t decode byte 0xc9 in position 0: unexpected end of data',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('e6c5d6f1-9a08-4632-acb5-686619cf536b','2026-11-30 05:48:11.833617','meltwater','�',NULL,'rejected','body is not JSON: ''utf-8'' codec can''t decode byte 0xde in position 0: unexpected end of data',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('0840c078-0237-4fe4-8ce0-2f74f4c208ea','2026-11-30 05:48:11.842312','meltwater','��䘞�',NULL,'rejected','body is not JSON: ''utf-8'' codec can''t decode byte 0xab in position 0: invalid start byte',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('c8e0cad5-b8ea-4be9-9a57-04574dba62a0','2026-11-30 05:48:11.850604','meltwater','q�',NULL,'rejected','body is not JSON: ''utf-8'' codec can''t decode byte 0xb5 in position 1: invalid start byte',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('4b964146-5258-48e6-9751-b8802b61c155','2026-11-30 05:48:11.858010','meltwater','�Q�',NULL,'rejected','body is not JSON: ''utf-8'' codec can''t decode byte 0xb9 in position 1: invalid start byte',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('b6c5a66d-db63-40fd-bf9d-93da1aa89dcd','2026-11-30 05:48:11.866640','meltwater','�ÏG',NULL,'rejected','body is not JSON: ''utf-8'' codec can''t decode byte 0xde in position 0: invalid continuation byte',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('6da79246-f24a-43a4-8b1f-cba8581a226f','2026-11-30 05:48:11.874528','meltwater','��7��1K�)�Fm��o)��',NULL,'rejected','body is not JSON: ''utf-8'' codec can''t decode byte 0xb2 in position 0: invalid start byte',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('69b7f605-d206-4795-bb56-55a87f005fec','2026-11-30 05:48:11.883088','meltwater','a�	(�|��4T',NULL,'rejected','body is not JSON: ''utf-8'' codec can''t decode byte 0x89 in position 1: invalid start byte',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('42a31bb2-cc9c-45ae-9456-a993c12f4846','2026-11-30 05:48:11.891508','meltwater','"�r�I',NULL,'rejected','body is not JSON: ''utf-8'' codec can''t decode byte 0x84 in position 1: invalid start byte',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('6913f89b-bf32-47aa-b898-a374ffae537c','2026-11-30 05:48:11.901550','meltwater','��,��',NULL,'rejected','body is not JSON: ''utf-8'' codec can''t decode byte 0xb1 in position 0: invalid start byte',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('9a046464-569a-4573-8d41-7a531b7a9a92','2026-11-30 05:48:11.908162','meltwater','��A�E ��"F',NULL,'rejected','body is not JSON: ''utf-8'' codec can''t decode byte 0xb8 in position 0: invalid start byte',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('b907933f-d9f0-410f-86bc-db4e2596aab1','2026-11-30 05:48:11.915156','meltwater','Fg',NULL,'rejected','body is not JSON: Expecting value: line 1 column 1 (char 0)',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('edf5870c-4749-42ee-b194-23bf4d9b14e7','2026-11-30 05:48:11.922325','meltwater','���b�',NULL,'rejected','body is not JSON: ''utf-8'' codec can''t decode byte 0xf7 in position 0: invalid start byte',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('a095cf66-aa27-44bd-b75c-9926a7fbfa76','2026-11-30 05:48:11.928748','meltwater','��',NULL,'rejected','body is not JSON: ''utf-8'' codec can''t decode byte 0xc6 in position 0: invalid continuation byte',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('15e3f481-2bc6-47b8-a34f-81949cfc1aa2','2026-11-30 05:48:11.936474','meltwater','r-5��',NULL,'rejected','body is not JSON: ''utf-8'' codec can''t decode byte 0xc3 in position 3: invalid continuation byte',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('87f08797-8420-42d1-bc9a-5207ce896f13','2026-11-30 05:48:11.944829','meltwater','��',NULL,'rejected','body is not JSON: ''utf-8'' codec can''t decode byte 0xa1 in position 0: invalid start byte',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('8c930e64-6418-42d5-b317-46728a278941','2026-11-30 05:48:11.952568','meltwater','�t1@��"',NULL,'rejected','body is not JSON: ''utf-8'' codec can''t decode byte 0xb7 in position 0: invalid start byte',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('08c588fb-530b-4fb9-b6c5-2584604dc202','2026-11-30 05:48:11.958845','meltwater','�V�p',NULL,'rejected','body is not JSON: ''utf-8'' codec can''t decode byte 0xc7 in position 2: invalid continuation byte',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('e2138e65-da8b-4f07-9374-71619a8f5f80','2026-11-30 05:48:11.965126','meltwater','ΎWAŤ�',NULL,'rejected','body is not JSON: ''utf-8'' codec can''t decode byte 0xfe in position 7: invalid start byte',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('c0d880f9-dfb4-49c9-82da-26c5590e0ac0','2026-11-30 05:48:11.971401','meltwater','+',NULL,'rejected','body is not JSON: Expecting value: line 1 column 1 (char 0)',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('4f9b505f-333a-4735-b585-b513cf581c22','2026-11-30 05:48:11.977895','meltwater','��2',NULL,'rejected','body is not JSON: ''utf-8'' codec can''t decode byte 0xe4 in position 0: invalid continuation byte',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('7c2c5e8b-9a9c-4d41-8ce0-4a4e2900d862','2026-11-30 05:48:11.985386','meltwater','���/��OR�',NULL,'rejected','body is not JSON: ''utf-8'' codec can''t decode byte 0xbc in position 0: invalid start byte',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('af883258-b600-4220-ad3b-7af384a6537c','2026-11-30 05:48:11.993302','meltwater','�',NULL,'rejected','body is not JSON: ''utf-8'' codec can''t decode byte 0xca in position 0: unexpected end of data',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('a766f8b7-66f4-4253-adf6-eeb8e8004d60','2026-11-30 05:48:12.003617','meltwater','c�pE�',NULL,'rejected','body is not JSON: ''utf-8'' codec can''t decode byte 0x84 in position 1: invalid start byte',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('c2115db6-393c-4442-bd8b-4dcc48c42784','2026-11-30 05:48:12.011560','meltwater','�L�',NULL,'rejected','body is not JSON: ''utf-8'' codec can''t decode byte 0xeb in position 0: invalid continuation byte',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('3ba56d4f-8ae3-4978-b61e-bfbe3872701e','2026-11-30 05:48:12.018968','meltwater','p�',NULL,'rejected','body is not JSON: ''utf-8'' codec can''t decode byte 0x91 in position 2: invalid start byte',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('5b42eb40-31a0-40b9-b5da-8446bed04473','2026-11-30 05:48:12.026529','meltwater','''�',NULL,'rejected','body is not JSON: ''utf-8'' codec can''t decode byte 0xe2 in position 1: unexpected end of data',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('7dfa41ef-0b06-4c87-8d97-d7f891447e9c','2026-11-30 05:48:12.034255','meltwater','�i',NULL,'rejected','body is not JSON: ''utf-8'' codec can''t decode byte 0xd8 in position 0: invalid continuation byte',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('540cf12a-29c6-4d52-9c2e-22b7ed8ebdb2','2026-11-30 05:48:12.043691','meltwater','���)�B',NULL,'rejected','body is not JSON: ''utf-8'' codec can''t decode byte 0x8c in position 0: invalid start byte',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('f18f6110-96e4-4d74-ae81-39e6b2761039','2026-11-30 05:48:12.051704','meltwater','��6',NULL,'rejected','body is not JSON: ''utf-8'' codec can''t decode byte 0xbd in position 1: invalid start byte',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('56c11988-1a03-40e9-8717-d44ed9c7eacf','2026-11-30 05:48:12.062100','meltwater','�0',NULL,'rejected','body is not JSON: ''utf-8'' codec can''t decode byte 0xd2 in position 1: invalid continuation byte',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('f90cbc9b-ed0d-4da1-a378-82ee3fde450c','2026-11-30 05:48:12.069700','meltwater','����',NULL,'rejected','body is not JSON: ''utf-8'' codec can''t decode byte 0x9c in position 0: invalid start byte',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('04394e6a-9f2a-43a9-be30-931fa20a5b98','2026-11-30 05:48:12.077342','meltwater','M<���',NULL,'rejected','body is not JSON: ''utf-8'' codec can''t decode byte 0xc4 in position 2: invalid continuation byte',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('808640ee-95e7-4aeb-8e79-719ff91ba33b','2026-11-30 05:48:12.083249','meltwater','��\��iڢ|?',NULL,'rejected','body is not JSON: ''utf-8'' codec can''t decode byte 0xc1 in position 2: invalid start byte',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('c435628b-3a0b-4dba-80e3-ecc5401565bb','2026-11-30 05:48:12.090164','meltwater','�',NULL,'rejected','body is not JSON: ''utf-8'' codec can''t decode byte 0x8b in position 0: invalid start byte',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('59e12fa1-ebe0-4ffc-bea8-30aaac8bd390','2026-11-30 05:48:12.096467','meltwater',';6d9',NULL,'rejected','body is not JSON: Expecting value: line 1 column 1 (char 0)',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
INSERT INTO "alerts" VALUES('95594fad-a865-4367-8605-fd588bd5da41','2026-11-30 05:48:12.104694','meltwater','"(b�DG',NULL,'rejected','body is not JSON: ''utf-8'' codec can''t decode byte 0xec in position 3: invalid continuation byte',NULL,NULL,NULL,NULL,NULL,'[]',NULL);
CREATE TABLE decisions (
	id INTEGER NOT NULL, 
	incident_id VARCHAR(36) NOT NULL, 
	severity VARCHAR(16) NOT NULL, 
	gate VARCHAR(64) NOT NULL, 
	pause_key VARCHAR(96), 
	verdict VARCHAR(16) NOT NULL, 
	approver TEXT NOT NULL, 
	reason TEXT NOT NULL, 
	accepted BOOLEAN NOT NULL, 
	refusal TEXT, 
	draft_hashes JSON NOT NULL, 
	diffs JSON NOT NULL, 
	decided_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (incident_id, severity, pause_key), 
	FOREIGN KEY(incident_id) REFERENCES incidents (id)
);
INSERT INTO "decisions" VALUES(1,'ecde9512-4b56-462a-b04b-e1343732c22a','luar-biasa','persetujuan-awal','persetujuan-awal','approve','Galih Prakoso Aji','',0,'''Galih Prakoso Aji'' tidak berwenang memutuskan persetujuan-awal untuk Lapas Kelas I Makassar (luar-biasa): kewenangan ada pada Menteri / Wakil Menteri (Sutan Mahendra Harahap, Kartika Dyah Pramesti)','{"ecde9512-4b56-462a-b04b-e1343732c22a-luar-biasa-holding_statement-id": "534461e688d0d8afe4e4590dc6f0903267bba4624ddbb1330260ad5de2e86fe4", "ecde9512-4b56-462a-b04b-e1343732c22a-luar-biasa-holding_statement-en": "2db791b285108adb81e14ef4e9a93aea513f80e14553295ea2217672b964cf9a"}','{}','2026-11-30 05:47:10.060846');
INSERT INTO "decisions" VALUES(2,'ecde9512-4b56-462a-b04b-e1343732c22a','luar-biasa','persetujuan-awal','persetujuan-awal-ke-2','edit','Sutan Mahendra Harahap','judul diperjelas',1,NULL,'{"ecde9512-4b56-462a-b04b-e1343732c22a-luar-biasa-holding_statement-id-r2": "e84fdeded91c8882676fddd376e0536dc96309903c06f50decbd439c690d671f", "ecde9512-4b56-462a-b04b-e1343732c22a-luar-biasa-holding_statement-en": "2db791b285108adb81e14ef4e9a93aea513f80e14553295ea2217672b964cf9a"}','{"ecde9512-4b56-462a-b04b-e1343732c22a-luar-biasa-holding_statement-id-r2": "--- ecde9512-4b56-462a-b04b-e1343732c22a-luar-biasa-holding_statement-id\n+++ ecde9512-4b56-462a-b04b-e1343732c22a-luar-biasa-holding_statement-id-r2\n@@ -1,4 +1,4 @@\n-PERNYATAAN AWAL\n+PERNYATAAN AWAL (disunting Menteri)\n Direktorat Jenderal Pemasyarakatan\n Kementerian Imigrasi dan Pemasyarakatan Republik Indonesia\n \n"}','2026-11-30 05:47:11.762546');
INSERT INTO "decisions" VALUES(3,'ecde9512-4b56-462a-b04b-e1343732c22a','luar-biasa','persetujuan-awal',NULL,'approve','Sutan Mahendra Harahap','',0,'Sutan Mahendra Harahap sudah menyetujui teks ini; diperlukan pemberi persetujuan lain yang berbeda','{"ecde9512-4b56-462a-b04b-e1343732c22a-luar-biasa-holding_statement-en": "2db791b285108adb81e14ef4e9a93aea513f80e14553295ea2217672b964cf9a", "ecde9512-4b56-462a-b04b-e1343732c22a-luar-biasa-holding_statement-id-r2": "e84fdeded91c8882676fddd376e0536dc96309903c06f50decbd439c690d671f"}','{}','2026-11-30 05:47:12.098090');
INSERT INTO "decisions" VALUES(4,'ecde9512-4b56-462a-b04b-e1343732c22a','luar-biasa','persetujuan-awal','persetujuan-awal-ke-3','approve','Kartika Dyah Pramesti','setuju',1,NULL,'{"ecde9512-4b56-462a-b04b-e1343732c22a-luar-biasa-holding_statement-id-r2": "e84fdeded91c8882676fddd376e0536dc96309903c06f50decbd439c690d671f", "ecde9512-4b56-462a-b04b-e1343732c22a-luar-biasa-holding_statement-en": "2db791b285108adb81e14ef4e9a93aea513f80e14553295ea2217672b964cf9a"}','{}','2026-11-30 05:47:13.416012');
INSERT INTO "decisions" VALUES(5,'ecde9512-4b56-462a-b04b-e1343732c22a','luar-biasa','persetujuan-lengkap','persetujuan-lengkap','reject','Kartika Dyah Pramesti','menunggu konferensi pers',1,NULL,'{"ecde9512-4b56-462a-b04b-e1343732c22a-luar-biasa-press_release-id": "d5664a9c3b5c7fee8f262e8a8b04baf1d873dca92db22e884b69127c0a7654a9", "ecde9512-4b56-462a-b04b-e1343732c22a-luar-biasa-press_release-en": "aff3287e7588b49e4f3346d1c923b42df54d265b6c0d0d03bc6a1dd089869277", "ecde9512-4b56-462a-b04b-e1343732c22a-luar-biasa-social_post-id": "6f23ff4c037be653f90d288fec8bfa3efae763cbc2ce96d980e74921b9bd25b6", "ecde9512-4b56-462a-b04b-e1343732c22a-luar-biasa-situation_report-id": "bdaa20d05e4ff56ff1130f161fcdd9574782bd3f8152d3e9d40694c8ece8402c"}','{}','2026-11-30 05:47:18.007524');
INSERT INTO "decisions" VALUES(6,'cc767071-6206-4c99-85fd-ba03a865420f','sedang','persetujuan-awal',NULL,'request-changes','Tri Laksono Adinegoro','',0,'keputusan request-changes memerlukan alasan (reason)','{"cc767071-6206-4c99-85fd-ba03a865420f-sedang-holding_statement-id": "f6a9d878eeb42a611d9b0b248c307316232d5f1aa0a6f8f52819e91ed763fddb"}','{}','2026-11-30 05:47:20.167999');
INSERT INTO "decisions" VALUES(7,'cc767071-6206-4c99-85fd-ba03a865420f','sedang','persetujuan-awal','persetujuan-awal','request-changes','Tri Laksono Adinegoro','Sebutkan layanan pengaduan',1,NULL,'{"cc767071-6206-4c99-85fd-ba03a865420f-sedang-holding_statement-id": "f6a9d878eeb42a611d9b0b248c307316232d5f1aa0a6f8f52819e91ed763fddb"}','{}','2026-11-30 05:47:21.072825');
INSERT INTO "decisions" VALUES(8,'cc767071-6206-4c99-85fd-ba03a865420f','sedang','persetujuan-awal','persetujuan-awal-ke-2','approve','Tri Laksono Adinegoro','',1,NULL,'{"cc767071-6206-4c99-85fd-ba03a865420f-sedang-holding_statement-id-r2": "c6898cb28c82924b7798d566f524de30568a88c6429e278fb9e9d2f5504656c2"}','{}','2026-11-30 05:47:24.593665');
INSERT INTO "decisions" VALUES(9,'cc767071-6206-4c99-85fd-ba03a865420f','sedang','persetujuan-lengkap','persetujuan-lengkap','reject','Tri Laksono Adinegoro','cukup pernyataan awal',1,NULL,'{"cc767071-6206-4c99-85fd-ba03a865420f-sedang-press_release-id": "cb21e1b025e211589fd5543fe87b454ee8d32f7434996cf7b6be91b8b263c194", "cc767071-6206-4c99-85fd-ba03a865420f-sedang-social_post-id": "74b25716d10d01bb34534711175dcd04859b0cf3e9bf19505609dbe65ef92313", "cc767071-6206-4c99-85fd-ba03a865420f-sedang-situation_report-id": "6fb46f0cda2d43459a9e045ab6b9a9215a597cabf5754cc74004aca376fe5e5a"}','{}','2026-11-30 05:47:28.073490');
INSERT INTO "decisions" VALUES(10,'abf2afde-876d-42d7-90ef-c521c961fbe2','sedang','persetujuan-awal','persetujuan-awal','approve','Tri Laksono Adinegoro','',1,NULL,'{"abf2afde-876d-42d7-90ef-c521c961fbe2-sedang-holding_statement-id": "8e47f1db8bbc83460d913a3ae52f776212231a3e1b7d7ba40a0376a0474e4367"}','{}','2026-11-30 05:47:32.202321');
INSERT INTO "decisions" VALUES(11,'abf2afde-876d-42d7-90ef-c521c961fbe2','sedang','persetujuan-lengkap','persetujuan-lengkap','approve','Tri Laksono Adinegoro','',1,NULL,'{"abf2afde-876d-42d7-90ef-c521c961fbe2-sedang-press_release-id": "c829bbd9eb486e988f8f18c577835b4e6cc3963b8ea786ab71d586877c5b4118", "abf2afde-876d-42d7-90ef-c521c961fbe2-sedang-social_post-id": "4072d1b3a56afb694912e91c70ea4f5068e73eb709b2f7e04769855f7be7586e", "abf2afde-876d-42d7-90ef-c521c961fbe2-sedang-situation_report-id": "9f30c583580425d78b7869176e5a9e499f8c52b5505792488372f7879394d1a8"}','{}','2026-11-30 05:47:35.628733');
INSERT INTO "decisions" VALUES(12,'abf2afde-876d-42d7-90ef-c521c961fbe2','sedang','persetujuan-koreksi',NULL,'approve','Kadiv DKI','',0,'''Kadiv DKI'' tidak berwenang memutuskan persetujuan-koreksi untuk Rutan Kelas IIA Jakarta Timur (sedang): kewenangan ada pada Kepala Kantor Wilayah Ditjenpas (Tri Laksono Adinegoro)','{"abf2afde-876d-42d7-90ef-c521c961fbe2-sedang-correction-id-548a824e": "231931d2759ccf74c436a793cfdd29f3de3087ae741d2065e13cd4356511ad5a"}','{}','2026-11-30 05:47:37.617579');
INSERT INTO "decisions" VALUES(13,'abf2afde-876d-42d7-90ef-c521c961fbe2','sedang','persetujuan-koreksi','persetujuan-koreksi','approve','Tri Laksono Adinegoro','',1,NULL,'{"abf2afde-876d-42d7-90ef-c521c961fbe2-sedang-correction-id-548a824e": "231931d2759ccf74c436a793cfdd29f3de3087ae741d2065e13cd4356511ad5a"}','{}','2026-11-30 05:47:39.115050');
INSERT INTO "decisions" VALUES(14,'e745022d-4f78-47b6-805d-9c9e14aebdf9','sedang','persetujuan-awal','persetujuan-awal','approve','Haryo Seno Adiwijaya','Kakanwil tidak dapat dihubungi',1,NULL,'{"e745022d-4f78-47b6-805d-9c9e14aebdf9-sedang-holding_statement-id": "547a978f914563e1ff1de9fe063703f4ff87808509c38022fae7d2572945aafc"}','{}','2026-11-30 05:47:54.136526');
CREATE TABLE drafts (
	id VARCHAR(96) NOT NULL, 
	incident_id VARCHAR(36) NOT NULL, 
	severity VARCHAR(16) NOT NULL, 
	message_type VARCHAR(32) NOT NULL, 
	language VARCHAR(8) NOT NULL, 
	body TEXT NOT NULL, 
	content_hash VARCHAR(64) NOT NULL, 
	channels JSON NOT NULL, 
	due_at DATETIME NOT NULL, 
	created_at DATETIME NOT NULL, 
	revision INTEGER NOT NULL, 
	parent_id VARCHAR(96), 
	author TEXT NOT NULL, 
	note TEXT NOT NULL, 
	fact_versions JSON NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(incident_id) REFERENCES incidents (id)
);
INSERT INTO "drafts" VALUES('ecde9512-4b56-462a-b04b-e1343732c22a-luar-biasa-holding_statement-id','ecde9512-4b56-462a-b04b-e1343732c22a','luar-biasa','holding_statement','id','PERNYATAAN AWAL
Direktorat Jenderal Pemasyarakatan
Kementerian Imigrasi dan Pemasyarakatan Republik Indonesia

Perihal: Peristiwa di Lapas Kelas I Makassar
Disampaikan: 30 November 2026 pukul 13.47 WITA

Kami memahami perhatian dan kekhawatiran masyarakat, khususnya keluarga warga binaan, atas peristiwa di Lapas Kelas I Makassar, Provinsi Sulawesi Selatan, yang kami ketahui pada 30 November 2026 pukul 13.47 WITA. Kami berkomitmen menyampaikan informasi yang benar, terverifikasi, dan tepat waktu.

Yang telah terkonfirmasi:
- Kejadian: Kerusuhan dan penyanderaan petugas (sumber: Media Center PASOPATI)
- Lokasi: Lapas Kelas I Makassar (sumber: Media Center PASOPATI)

Yang masih diverifikasi:
- Waktu: belum dapat dikonfirmasi
- Pihak terdampak: belum dapat dikonfirmasi
- Korban: belum dapat dikonfirmasi
- Jumlah WBP terlibat: belum dapat dikonfirmasi
- Hasil penghitungan WBP: belum dapat dikonfirmasi
- Status pengejaran: belum dapat dikonfirmasi
- Jumlah WBP tertangkap kembali: belum dapat dikonfirmasi
- Barang bukti yang diamankan: belum dapat dikonfirmasi
- Koordinasi dengan Polri/TNI: belum dapat dikonfirmasi
- Status layanan kunjungan: belum dapat dikonfirmasi

Langkah yang sedang dilakukan:
- Penanganan: belum dapat dikonfirmasi

Kami memohon maaf kepada masyarakat dan keluarga warga binaan atas peristiwa ini. Kami bertanggung jawab penuh atas pelaksanaan tugas Pemasyarakatan, termasuk keselamatan warga binaan dan integritas petugas. Setiap petugas yang terbukti lalai atau melanggar akan dikenai sanksi sesuai ketentuan peraturan perundang-undangan, dan kami melakukan evaluasi menyeluruh untuk menetapkan langkah perbaikan. Perkembangan pemeriksaan, sanksi, dan langkah perbaikan akan kami sampaikan secara terbuka.

Pembaruan informasi berikutnya akan kami sampaikan paling lambat 30 November 2026 pukul 15.17 WITA.
Konferensi pers akan diselenggarakan paling lambat enam jam sejak peristiwa diketahui; waktu dan tempat diumumkan melalui kanal resmi.
Informasi resmi hanya disampaikan melalui kanal resmi Direktorat Jenderal Pemasyarakatan beserta Kantor Wilayah dan UPT-nya (satu pintu informasi). Kami mengimbau masyarakat untuk tidak menyebarluaskan informasi yang belum terverifikasi.

Juru bicara: Direktur Jenderal Pemasyarakatan
','534461e688d0d8afe4e4590dc6f0903267bba4624ddbb1330260ad5de2e86fe4','["situs-ditjenpas", "medsos-ditjenpas", "media-center", "pusat-informasi-bersama", "posko-keluarga", "call-center", "akun-kanwil", "akun-upt"]','2026-11-30 06:02:07.277003','2026-11-30 05:47:08.070624',1,NULL,'template','','{"apa": 1, "di_mana": 1}');
INSERT INTO "drafts" VALUES('ecde9512-4b56-462a-b04b-e1343732c22a-luar-biasa-holding_statement-en','ecde9512-4b56-462a-b04b-e1343732c22a','luar-biasa','holding_statement','en','INITIAL STATEMENT
Directorate General of Corrections
Ministry of Immigration and Corrections of the Republic of Indonesia

Subject: Incident at Lapas Kelas I Makassar
Issued: 30 November 2026, 13:47 WITA

We understand the concern of the public, and especially of the families of inmates, about the incident at Lapas Kelas I Makassar, Sulawesi Selatan Province, which came to our attention on 30 November 2026, 13:47 WITA. We are committed to providing accurate, verified and timely information.

Confirmed so far:
- Kejadian: Kerusuhan dan penyanderaan petugas (source: Media Center PASOPATI)
- Lokasi: Lapas Kelas I Makassar (source: Media Center PASOPATI)

Still being verified:
- Waktu: not yet confirmed
- Pihak terdampak: not yet confirmed
- Korban: not yet confirmed
- Jumlah WBP terlibat: not yet confirmed
- Hasil penghitungan WBP: not yet confirmed
- Status pengejaran: not yet confirmed
- Jumlah WBP tertangkap kembali: not yet confirmed
- Barang bukti yang diamankan: not yet confirmed
- Koordinasi dengan Polri/TNI: not yet confirmed
- Status layanan kunjungan: not yet confirmed

What is being done:
- Penanganan: not yet confirmed

We apologise to the public and to the families of inmates for this incident. We take full responsibility for the conduct of correctional duties, including the safety of inmates and the integrity of our officers. Any officer found to have been negligent or to have committed a violation will be sanctioned in accordance with the law, and we are conducting a thorough evaluation so that corrective measures can be taken. Progress on the examination, sanctions and corrective measures will be reported openly.

The next update will be issued no later than 30 November 2026, 15:17 WITA.
A press conference will be held within six hours of the incident being identified; time and venue will be announced through official channels.
Official information is released only through the official channels of the Directorate General of Corrections and its regional offices and units (one door of information). We ask the public not to share unverified information.

Spokesperson: Direktur Jenderal Pemasyarakatan
','2db791b285108adb81e14ef4e9a93aea513f80e14553295ea2217672b964cf9a','["situs-ditjenpas", "medsos-ditjenpas", "media-center", "pusat-informasi-bersama", "posko-keluarga", "call-center", "akun-kanwil", "akun-upt"]','2026-11-30 06:02:07.277003','2026-11-30 05:47:08.070624',1,NULL,'template','','{"apa": 1, "di_mana": 1}');
INSERT INTO "drafts" VALUES('ecde9512-4b56-462a-b04b-e1343732c22a-luar-biasa-holding_statement-id-r2','ecde9512-4b56-462a-b04b-e1343732c22a','luar-biasa','holding_statement','id','PERNYATAAN AWAL (disunting Menteri)
Direktorat Jenderal Pemasyarakatan
Kementerian Imigrasi dan Pemasyarakatan Republik Indonesia

Perihal: Peristiwa di Lapas Kelas I Makassar
Disampaikan: 30 November 2026 pukul 13.47 WITA

Kami memahami perhatian dan kekhawatiran masyarakat, khususnya keluarga warga binaan, atas peristiwa di Lapas Kelas I Makassar, Provinsi Sulawesi Selatan, yang kami ketahui pada 30 November 2026 pukul 13.47 WITA. Kami berkomitmen menyampaikan informasi yang benar, terverifikasi, dan tepat waktu.

Yang telah terkonfirmasi:
- Kejadian: Kerusuhan dan penyanderaan petugas (sumber: Media Center PASOPATI)
- Lokasi: Lapas Kelas I Makassar (sumber: Media Center PASOPATI)

Yang masih diverifikasi:
- Waktu: belum dapat dikonfirmasi
- Pihak terdampak: belum dapat dikonfirmasi
- Korban: belum dapat dikonfirmasi
- Jumlah WBP terlibat: belum dapat dikonfirmasi
- Hasil penghitungan WBP: belum dapat dikonfirmasi
- Status pengejaran: belum dapat dikonfirmasi
- Jumlah WBP tertangkap kembali: belum dapat dikonfirmasi
- Barang bukti yang diamankan: belum dapat dikonfirmasi
- Koordinasi dengan Polri/TNI: belum dapat dikonfirmasi
- Status layanan kunjungan: belum dapat dikonfirmasi

Langkah yang sedang dilakukan:
- Penanganan: belum dapat dikonfirmasi

Kami memohon maaf kepada masyarakat dan keluarga warga binaan atas peristiwa ini. Kami bertanggung jawab penuh atas pelaksanaan tugas Pemasyarakatan, termasuk keselamatan warga binaan dan integritas petugas. Setiap petugas yang terbukti lalai atau melanggar akan dikenai sanksi sesuai ketentuan peraturan perundang-undangan, dan kami melakukan evaluasi menyeluruh untuk menetapkan langkah perbaikan. Perkembangan pemeriksaan, sanksi, dan langkah perbaikan akan kami sampaikan secara terbuka.

Pembaruan informasi berikutnya akan kami sampaikan paling lambat 30 November 2026 pukul 15.17 WITA.
Konferensi pers akan diselenggarakan paling lambat enam jam sejak peristiwa diketahui; waktu dan tempat diumumkan melalui kanal resmi.
Informasi resmi hanya disampaikan melalui kanal resmi Direktorat Jenderal Pemasyarakatan beserta Kantor Wilayah dan UPT-nya (satu pintu informasi). Kami mengimbau masyarakat untuk tidak menyebarluaskan informasi yang belum terverifikasi.

Juru bicara: Direktur Jenderal Pemasyarakatan
','e84fdeded91c8882676fddd376e0536dc96309903c06f50decbd439c690d671f','["situs-ditjenpas", "medsos-ditjenpas", "media-center", "pusat-informasi-bersama", "posko-keluarga", "call-center", "akun-kanwil", "akun-upt"]','2026-11-30 06:02:07.277003','2026-11-30 05:47:11.757906',2,'ecde9512-4b56-462a-b04b-e1343732c22a-luar-biasa-holding_statement-id','Sutan Mahendra Harahap','judul diperjelas','{"apa": 1, "di_mana": 1}');
INSERT INTO "drafts" VALUES('ecde9512-4b56-462a-b04b-e1343732c22a-luar-biasa-press_release-id','ecde9512-4b56-462a-b04b-e1343732c22a','luar-biasa','press_release','id','SIARAN PERS
Direktorat Jenderal Pemasyarakatan
Kementerian Imigrasi dan Pemasyarakatan Republik Indonesia

Perkembangan Penanganan Peristiwa di Lapas Kelas I Makassar

30 November 2026 pukul 13.47 WITA — Direktorat Jenderal Pemasyarakatan menyampaikan informasi resmi mengenai peristiwa di Lapas Kelas I Makassar, Provinsi Sulawesi Selatan, yang diketahui pada 30 November 2026 pukul 13.47 WITA. Kami memahami perhatian dan kekhawatiran masyarakat, khususnya keluarga warga binaan, atas peristiwa ini.

Fakta yang telah diverifikasi:
- Kejadian: Kerusuhan dan penyanderaan petugas (sumber: Media Center PASOPATI)
- Lokasi: Lapas Kelas I Makassar (sumber: Media Center PASOPATI)
- Waktu: Selasa, 24 November 2026 pukul 01.00 WITA (sumber: SDP)

Informasi yang masih diverifikasi:
- Pihak terdampak: belum dapat dikonfirmasi
- Korban: belum dapat dikonfirmasi
- Jumlah WBP terlibat: belum dapat dikonfirmasi
- Hasil penghitungan WBP: belum dapat dikonfirmasi
- Status pengejaran: belum dapat dikonfirmasi
- Jumlah WBP tertangkap kembali: belum dapat dikonfirmasi
- Barang bukti yang diamankan: belum dapat dikonfirmasi
- Koordinasi dengan Polri/TNI: belum dapat dikonfirmasi
- Status layanan kunjungan: belum dapat dikonfirmasi

Langkah yang sedang dilakukan:
- Penanganan: belum dapat dikonfirmasi

Kami memohon maaf kepada masyarakat dan keluarga warga binaan atas peristiwa ini. Kami bertanggung jawab penuh atas pelaksanaan tugas Pemasyarakatan, termasuk keselamatan warga binaan dan integritas petugas. Setiap petugas yang terbukti lalai atau melanggar akan dikenai sanksi sesuai ketentuan peraturan perundang-undangan, dan kami melakukan evaluasi menyeluruh untuk menetapkan langkah perbaikan. Perkembangan pemeriksaan, sanksi, dan langkah perbaikan akan kami sampaikan secara terbuka.

Konferensi pers akan diselenggarakan paling lambat enam jam sejak peristiwa diketahui; waktu dan tempat diumumkan melalui kanal resmi.
Pembaruan informasi berikutnya akan kami sampaikan paling lambat 30 November 2026 pukul 15.17 WITA.
Informasi resmi hanya disampaikan melalui kanal resmi Direktorat Jenderal Pemasyarakatan beserta Kantor Wilayah dan UPT-nya (satu pintu informasi). Kami mengimbau masyarakat untuk tidak menyebarluaskan informasi yang belum terverifikasi.

Juru bicara: Direktur Jenderal Pemasyarakatan

***
','d5664a9c3b5c7fee8f262e8a8b04baf1d873dca92db22e884b69127c0a7654a9','["siaran-pers", "situs-ditjenpas", "media-center", "pusat-informasi-bersama", "posko-keluarga", "call-center", "akun-kanwil", "akun-upt"]','2026-11-30 07:47:07.277003','2026-11-30 05:47:16.370664',1,NULL,'template','','{"apa": 1, "di_mana": 1, "kapan": 1}');
INSERT INTO "drafts" VALUES('ecde9512-4b56-462a-b04b-e1343732c22a-luar-biasa-press_release-en','ecde9512-4b56-462a-b04b-e1343732c22a','luar-biasa','press_release','en','PRESS RELEASE
Directorate General of Corrections
Ministry of Immigration and Corrections of the Republic of Indonesia

Update on the Response to the Incident at Lapas Kelas I Makassar

30 November 2026, 13:47 WITA — The Directorate General of Corrections issues the following official information on the incident at Lapas Kelas I Makassar, Sulawesi Selatan Province, which came to our attention on 30 November 2026, 13:47 WITA. We understand the concern of the public, and especially of the families of inmates.

Verified facts:
- Kejadian: Kerusuhan dan penyanderaan petugas (source: Media Center PASOPATI)
- Lokasi: Lapas Kelas I Makassar (source: Media Center PASOPATI)
- Waktu: Selasa, 24 November 2026 pukul 01.00 WITA (source: SDP)

Still being verified:
- Pihak terdampak: not yet confirmed
- Korban: not yet confirmed
- Jumlah WBP terlibat: not yet confirmed
- Hasil penghitungan WBP: not yet confirmed
- Status pengejaran: not yet confirmed
- Jumlah WBP tertangkap kembali: not yet confirmed
- Barang bukti yang diamankan: not yet confirmed
- Koordinasi dengan Polri/TNI: not yet confirmed
- Status layanan kunjungan: not yet confirmed

What is being done:
- Penanganan: not yet confirmed

We apologise to the public and to the families of inmates for this incident. We take full responsibility for the conduct of correctional duties, including the safety of inmates and the integrity of our officers. Any officer found to have been negligent or to have committed a violation will be sanctioned in accordance with the law, and we are conducting a thorough evaluation so that corrective measures can be taken. Progress on the examination, sanctions and corrective measures will be reported openly.

A press conference will be held within six hours of the incident being identified; time and venue will be announced through official channels.
The next update will be issued no later than 30 November 2026, 15:17 WITA.
Official information is released only through the official channels of the Directorate General of Corrections and its regional offices and units (one door of information). We ask the public not to share unverified information.

Spokesperson: Direktur Jenderal Pemasyarakatan

***
','aff3287e7588b49e4f3346d1c923b42df54d265b6c0d0d03bc6a1dd089869277','["siaran-pers", "situs-ditjenpas", "media-center", "pusat-informasi-bersama", "posko-keluarga", "call-center", "akun-kanwil", "akun-upt"]','2026-11-30 07:47:07.277003','2026-11-30 05:47:16.370664',1,NULL,'template','','{"apa": 1, "di_mana": 1, "kapan": 1}');
INSERT INTO "drafts" VALUES('ecde9512-4b56-462a-b04b-e1343732c22a-luar-biasa-social_post-id','ecde9512-4b56-462a-b04b-e1343732c22a','luar-biasa','social_post','id','Lapas Kelas I Makassar:
Kejadian: Kerusuhan dan penyanderaan petugas (sumber: Media Center PASOPATI)
Lokasi: Lapas Kelas I Makassar (sumber: Media Center PASOPATI)
Waktu: Selasa, 24 November 2026 pukul 01.00 WITA (sumber: SDP)
Penanganan: belum dapat dikonfirmasi
Pembaruan: 30 November 2026 pukul 15.17 WITA.
Info resmi: kanal Ditjenpas. #Pemasyarakatan
','6f23ff4c037be653f90d288fec8bfa3efae763cbc2ce96d980e74921b9bd25b6','["medsos-ditjenpas", "akun-kanwil", "akun-upt"]','2026-11-30 06:02:07.277003','2026-11-30 05:47:16.370664',1,NULL,'template','','{"apa": 1, "di_mana": 1, "kapan": 1}');
INSERT INTO "drafts" VALUES('ecde9512-4b56-462a-b04b-e1343732c22a-luar-biasa-situation_report-id','ecde9512-4b56-462a-b04b-e1343732c22a','luar-biasa','situation_report','id','LAPORAN SITUASI — TERBATAS
Hanya untuk Tim Komunikasi Krisis dan pimpinan; dilarang diteruskan atau dipublikasikan. Memuat data pribadi, data kesehatan, dan informasi pengamanan yang dikecualikan (UU Pelindungan Data Pribadi; UU Keterbukaan Informasi Publik).

UPT: Lapas Kelas I Makassar
Jenis UPT: Lapas
Wilayah: Kantor Wilayah Direktorat Jenderal Pemasyarakatan Sulawesi Selatan, Provinsi Sulawesi Selatan
Kategori: Keamanan dan Ketertiban (Kamtib)
Tingkat: Luar Biasa
Diketahui: 30 November 2026 pukul 13.47 WITA
Laporan dibuat: 30 November 2026 pukul 13.47 WITA (batas waktu: 30 November 2026 pukul 14.02 WITA)

FAKTA TERKONFIRMASI
- Kejadian: Kerusuhan dan penyanderaan petugas (sumber: Media Center PASOPATI)
- Lokasi: Lapas Kelas I Makassar (sumber: Media Center PASOPATI)
- Waktu: Selasa, 24 November 2026 pukul 01.00 WITA (sumber: SDP)

BELUM TERKONFIRMASI
- Pihak terdampak: belum dapat dikonfirmasi
- Penanganan: belum dapat dikonfirmasi
- Korban: belum dapat dikonfirmasi
- Jumlah WBP terlibat: belum dapat dikonfirmasi
- Hasil penghitungan WBP: belum dapat dikonfirmasi
- Status pengejaran: belum dapat dikonfirmasi
- Jumlah WBP tertangkap kembali: belum dapat dikonfirmasi
- Barang bukti yang diamankan: belum dapat dikonfirmasi
- Koordinasi dengan Polri/TNI: belum dapat dikonfirmasi
- Status layanan kunjungan: belum dapat dikonfirmasi
- Identitas WBP terlibat: belum dapat dikonfirmasi
- Celah dan prosedur pengamanan: belum dapat dikonfirmasi

TIM KOMUNIKASI KRISIS
- Menteri / Wakil Menteri: Sutan Mahendra Harahap — Memberikan persetujuan atas setiap pesan publik (dua pimpinan yang berbeda) dan menyelaraskannya dengan komunikasi pemerintah pusat.
- Menteri / Wakil Menteri: Kartika Dyah Pramesti — Memberikan persetujuan atas setiap pesan publik (dua pimpinan yang berbeda) dan menyelaraskannya dengan komunikasi pemerintah pusat.
- Direktur Jenderal Pemasyarakatan: Haryo Seno Adiwijaya — Juru bicara utama: menyampaikan pernyataan resmi, memimpin konferensi pers bersama instansi terkait, dan melapor kepada pimpinan kementerian.
- Kepala Bagian Humas dan Protokol Ditjenpas: Ratih Kusumawardhani — Menyalurkan draf pesan kepada pimpinan kementerian untuk persetujuan dan mengoordinasikan pusat informasi bersama dengan humas Polri/BNPB serta komunikasi pemerintah pusat.
- Operator Media Center PASOPATI: Galih Prakoso Aji — Memantau pemberitaan dan media sosial secara terus-menerus, mencatat rumor dan sentimen, serta menerbitkan pesan yang telah disetujui di seluruh kanal.
- Kepala Kantor Wilayah Ditjenpas: Muhammad Arsyad Pallawa — Mengendalikan penanganan di wilayah, mewakili Kanwil di pusat informasi bersama, dan menjaga satu versi fakta dan angka antara wilayah dan pusat.
- Petugas Humas Kanwil: Andi Nurfadillah Rasyid — Mengelola akun Kanwil dan UPT sesuai pesan pusat dan memasok fakta dari wilayah kepada pusat informasi bersama.
- Kepala Divisi Pemasyarakatan: Syamsul Bahri Lantara — Memverifikasi jumlah WBP dan status pengejaran dengan UPT, SDP, dan Polres sebelum angka masuk pesan publik.
- Kepala UPT (Kalapas/Karutan/Kepala LPKA): Andi Muhammad Ridwan Tajuddin — Memimpin penanganan di UPT, menjadi sumber fakta lapangan bagi pusat informasi bersama, dan memastikan posko keluarga berjalan.
- Petugas Humas UPT: Nurhaedah Syamsuddin — Melayani keluarga WBP di posko keluarga dengan pesan yang telah disetujui dan meneruskan pertanyaan wartawan kepada pusat informasi bersama.
- Kepala Kesatuan Pengamanan (KPLP/KPR): Irwan Daeng Ngalle — Memimpin penghitungan ulang WBP yang dicocokkan dengan SDP dan melaporkan status pengamanan serta koordinasi dengan Polres; rincian prosedur dan celah pengamanan hanya masuk laporan internal.
- Kepala Klinik / Petugas Kesehatan UPT: dr. Haerul Amri Latief — Menangani korban luka dan melaporkan jumlahnya; keterangan medis hanya masuk laporan internal.

RENCANA KOMUNIKASI
Strategi (SCCT): rebuild (permintaan maaf, sanksi, dan langkah perbaikan)
Juru bicara: Direktur Jenderal Pemasyarakatan
Pembaruan berikutnya: 30 November 2026 pukul 15.17 WITA
Konferensi pers: paling lambat enam jam sejak peristiwa diketahui

Pesan publik hanya memuat butir yang ditetapkan publik dalam runbook; butir lain dalam laporan ini tidak boleh dikutip, termasuk nama korban sebelum keluarganya diberi tahu.
','bdaa20d05e4ff56ff1130f161fcdd9574782bd3f8152d3e9d40694c8ece8402c','["laporan-internal"]','2026-11-30 06:02:07.277003','2026-11-30 05:47:16.370664',1,NULL,'template','','{"apa": 1, "di_mana": 1, "kapan": 1}');
INSERT INTO "drafts" VALUES('cc767071-6206-4c99-85fd-ba03a865420f-sedang-holding_statement-id','cc767071-6206-4c99-85fd-ba03a865420f','sedang','holding_statement','id','PERNYATAAN AWAL
Direktorat Jenderal Pemasyarakatan
Kementerian Imigrasi dan Pemasyarakatan Republik Indonesia

Perihal: Peristiwa di Rutan Kelas I Jakarta Pusat
Disampaikan: 30 November 2026 pukul 12.47 WIB

Kami memahami perhatian dan kekhawatiran masyarakat, khususnya keluarga warga binaan, atas peristiwa di Rutan Kelas I Jakarta Pusat, Provinsi DKI Jakarta, yang kami ketahui pada 30 November 2026 pukul 12.47 WIB. Kami berkomitmen menyampaikan informasi yang benar, terverifikasi, dan tepat waktu.

Yang telah terkonfirmasi:
- Kejadian: Video viral keributan di ruang kunjungan (sumber: Media Center PASOPATI)
- Lokasi: Rutan Kelas I Jakarta Pusat (sumber: Media Center PASOPATI)

Yang masih diverifikasi:
- Waktu: belum dapat dikonfirmasi
- Pihak terdampak: belum dapat dikonfirmasi
- Korban: belum dapat dikonfirmasi
- Hasil pengecekan lapangan: belum dapat dikonfirmasi
- Waktu dan tempat perekaman: belum dapat dikonfirmasi
- Bukti klarifikasi: belum dapat dikonfirmasi
- Kapasitas dan isi hunian: belum dapat dikonfirmasi

Langkah yang sedang dilakukan:
- Penanganan: belum dapat dikonfirmasi

Kami meluruskan informasi yang beredar: yang dapat dijadikan pegangan hanyalah fakta terverifikasi di atas. Klarifikasi ini didasarkan pada:
- Kejadian (sumber: Media Center PASOPATI)
- Lokasi (sumber: Media Center PASOPATI)

Terhadap pemberitaan yang tidak akurat, kami akan menggunakan hak jawab sesuai Undang-Undang tentang Pers.

Pembaruan informasi berikutnya akan kami sampaikan paling lambat 30 November 2026 pukul 17.47 WIB.
Informasi resmi hanya disampaikan melalui kanal resmi Direktorat Jenderal Pemasyarakatan beserta Kantor Wilayah dan UPT-nya (satu pintu informasi). Kami mengimbau masyarakat untuk tidak menyebarluaskan informasi yang belum terverifikasi.

Juru bicara: Kepala Kantor Wilayah Ditjenpas
','f6a9d878eeb42a611d9b0b248c307316232d5f1aa0a6f8f52819e91ed763fddb','["akun-kanwil", "akun-upt"]','2026-11-30 06:47:19.059557','2026-11-30 05:47:19.624110',1,NULL,'template','','{"apa": 1, "di_mana": 1}');
INSERT INTO "drafts" VALUES('cc767071-6206-4c99-85fd-ba03a865420f-sedang-holding_statement-id-r2','cc767071-6206-4c99-85fd-ba03a865420f','sedang','holding_statement','id','PERNYATAAN AWAL
Direktorat Jenderal Pemasyarakatan
Kementerian Imigrasi dan Pemasyarakatan Republik Indonesia

Perihal: Peristiwa di Rutan Kelas I Jakarta Pusat
Disampaikan: 30 November 2026 pukul 12.47 WIB

Kami memahami perhatian dan kekhawatiran masyarakat, khususnya keluarga warga binaan, atas peristiwa di Rutan Kelas I Jakarta Pusat, Provinsi DKI Jakarta, yang kami ketahui pada 30 November 2026 pukul 12.47 WIB. Kami berkomitmen menyampaikan informasi yang benar, terverifikasi, dan tepat waktu.

Yang telah terkonfirmasi:
- Kejadian: Video viral keributan di ruang kunjungan (sumber: Media Center PASOPATI)
- Lokasi: Rutan Kelas I Jakarta Pusat (sumber: Media Center PASOPATI)

Yang masih diverifikasi:
- Waktu: belum dapat dikonfirmasi
- Pihak terdampak: belum dapat dikonfirmasi
- Korban: belum dapat dikonfirmasi
- Hasil pengecekan lapangan: belum dapat dikonfirmasi
- Waktu dan tempat perekaman: belum dapat dikonfirmasi
- Bukti klarifikasi: belum dapat dikonfirmasi
- Kapasitas dan isi hunian: belum dapat dikonfirmasi

Langkah yang sedang dilakukan:
- Penanganan: belum dapat dikonfirmasi

Kami meluruskan informasi yang beredar: yang dapat dijadikan pegangan hanyalah fakta terverifikasi di atas. Klarifikasi ini didasarkan pada:
- Kejadian (sumber: Media Center PASOPATI)
- Lokasi (sumber: Media Center PASOPATI)

Terhadap pemberitaan yang tidak akurat, kami akan menggunakan hak jawab sesuai Undang-Undang tentang Pers.

Pembaruan informasi berikutnya akan kami sampaikan paling lambat 30 November 2026 pukul 17.47 WIB.
Informasi resmi hanya disampaikan melalui kanal resmi Direktorat Jenderal Pemasyarakatan beserta Kantor Wilayah dan UPT-nya (satu pintu informasi). Kami mengimbau masyarakat untuk tidak menyebarluaskan informasi yang belum terverifikasi.

Juru bicara: Kepala Kantor Wilayah Ditjenpas

Pengaduan: layanan pengaduan Ditjenpas.
','c6898cb28c82924b7798d566f524de30568a88c6429e278fb9e9d2f5504656c2','["akun-kanwil", "akun-upt"]','2026-11-30 06:47:19.059557','2026-11-30 05:47:22.965065',2,'cc767071-6206-4c99-85fd-ba03a865420f-sedang-holding_statement-id','Melati Sekar Ayu','Sebutkan layanan pengaduan; ditambah kanal pengaduan','{"apa": 1, "di_mana": 1}');
INSERT INTO "drafts" VALUES('cc767071-6206-4c99-85fd-ba03a865420f-sedang-press_release-id','cc767071-6206-4c99-85fd-ba03a865420f','sedang','press_release','id','SIARAN PERS
Direktorat Jenderal Pemasyarakatan
Kementerian Imigrasi dan Pemasyarakatan Republik Indonesia

Perkembangan Penanganan Peristiwa di Rutan Kelas I Jakarta Pusat

30 November 2026 pukul 12.47 WIB — Direktorat Jenderal Pemasyarakatan menyampaikan informasi resmi mengenai peristiwa di Rutan Kelas I Jakarta Pusat, Provinsi DKI Jakarta, yang diketahui pada 30 November 2026 pukul 12.47 WIB. Kami memahami perhatian dan kekhawatiran masyarakat, khususnya keluarga warga binaan, atas peristiwa ini.

Fakta yang telah diverifikasi:
- Kejadian: Video viral keributan di ruang kunjungan (sumber: Media Center PASOPATI)
- Lokasi: Rutan Kelas I Jakarta Pusat (sumber: Media Center PASOPATI)

Informasi yang masih diverifikasi:
- Waktu: belum dapat dikonfirmasi
- Pihak terdampak: belum dapat dikonfirmasi
- Korban: belum dapat dikonfirmasi
- Hasil pengecekan lapangan: belum dapat dikonfirmasi
- Waktu dan tempat perekaman: belum dapat dikonfirmasi
- Bukti klarifikasi: belum dapat dikonfirmasi
- Kapasitas dan isi hunian: belum dapat dikonfirmasi

Langkah yang sedang dilakukan:
- Penanganan: belum dapat dikonfirmasi

Kami meluruskan informasi yang beredar: yang dapat dijadikan pegangan hanyalah fakta terverifikasi di atas. Klarifikasi ini didasarkan pada:
- Kejadian (sumber: Media Center PASOPATI)
- Lokasi (sumber: Media Center PASOPATI)

Terhadap pemberitaan yang tidak akurat, kami akan menggunakan hak jawab sesuai Undang-Undang tentang Pers.

Pembaruan informasi berikutnya akan kami sampaikan paling lambat 30 November 2026 pukul 17.47 WIB.
Informasi resmi hanya disampaikan melalui kanal resmi Direktorat Jenderal Pemasyarakatan beserta Kantor Wilayah dan UPT-nya (satu pintu informasi). Kami mengimbau masyarakat untuk tidak menyebarluaskan informasi yang belum terverifikasi.

Juru bicara: Kepala Kantor Wilayah Ditjenpas

***
','cb21e1b025e211589fd5543fe87b454ee8d32f7434996cf7b6be91b8b263c194','["siaran-pers", "akun-kanwil", "akun-upt"]','2026-11-30 09:47:19.059557','2026-11-30 05:47:26.388242',1,NULL,'template','','{"apa": 1, "di_mana": 1}');
INSERT INTO "drafts" VALUES('cc767071-6206-4c99-85fd-ba03a865420f-sedang-social_post-id','cc767071-6206-4c99-85fd-ba03a865420f','sedang','social_post','id','Rutan Kelas I Jakarta Pusat:
Kejadian: Video viral keributan di ruang kunjungan (sumber: Media Center PASOPATI)
Lokasi: Rutan Kelas I Jakarta Pusat (sumber: Media Center PASOPATI)
Waktu: belum dapat dikonfirmasi
Penanganan: belum dapat dikonfirmasi
Pembaruan: 30 November 2026 pukul 17.47 WIB.
Info resmi: kanal Ditjenpas. #Pemasyarakatan
','74b25716d10d01bb34534711175dcd04859b0cf3e9bf19505609dbe65ef92313','["akun-kanwil", "akun-upt"]','2026-11-30 06:47:19.059557','2026-11-30 05:47:26.388242',1,NULL,'template','','{"apa": 1, "di_mana": 1}');
INSERT INTO "drafts" VALUES('cc767071-6206-4c99-85fd-ba03a865420f-sedang-situation_report-id','cc767071-6206-4c99-85fd-ba03a865420f','sedang','situation_report','id','LAPORAN SITUASI — TERBATAS
Hanya untuk Tim Komunikasi Krisis dan pimpinan; dilarang diteruskan atau dipublikasikan. Memuat data pribadi, data kesehatan, dan informasi pengamanan yang dikecualikan (UU Pelindungan Data Pribadi; UU Keterbukaan Informasi Publik).

UPT: Rutan Kelas I Jakarta Pusat
Jenis UPT: Rutan
Wilayah: Kantor Wilayah Direktorat Jenderal Pemasyarakatan DKI Jakarta, Provinsi DKI Jakarta
Kategori: Opini Publik
Tingkat: Sedang
Diketahui: 30 November 2026 pukul 12.47 WIB
Laporan dibuat: 30 November 2026 pukul 12.47 WIB (batas waktu: 30 November 2026 pukul 13.47 WIB)

FAKTA TERKONFIRMASI
- Kejadian: Video viral keributan di ruang kunjungan (sumber: Media Center PASOPATI)
- Lokasi: Rutan Kelas I Jakarta Pusat (sumber: Media Center PASOPATI)

BELUM TERKONFIRMASI
- Waktu: belum dapat dikonfirmasi
- Pihak terdampak: belum dapat dikonfirmasi
- Penanganan: belum dapat dikonfirmasi
- Korban: belum dapat dikonfirmasi
- Hasil pengecekan lapangan: belum dapat dikonfirmasi
- Waktu dan tempat perekaman: belum dapat dikonfirmasi
- Bukti klarifikasi: belum dapat dikonfirmasi
- Kapasitas dan isi hunian: belum dapat dikonfirmasi
- Sumber konten viral: belum dapat dikonfirmasi
- Jangkauan dan sentimen: belum dapat dikonfirmasi
- Hak jawab: belum dapat dikonfirmasi

TIM KOMUNIKASI KRISIS
- Kepala Kantor Wilayah Ditjenpas: Tri Laksono Adinegoro — Juru bicara dan pemberi persetujuan: menyetujui setiap pesan publik, menyampaikannya kepada media, dan melapor kepada Humas Ditjenpas.
- Petugas Humas Kanwil: Melati Sekar Ayu — Menyusun draf pernyataan dan siaran pers untuk persetujuan Kakanwil, mengelola akun Kanwil, dan menyelaraskan unggahan akun UPT.
- Kepala Divisi Pemasyarakatan: Gunawan Prasetyo Utomo — Memimpin pengecekan lapangan oleh Kanwil dan menghimpun bukti yang dapat ditunjukkan kepada publik.
- Kepala UPT (Kalapas/Karutan/Kepala LPKA): Hendra Kurniawan Saputro — Memimpin penanganan di UPT dan melaporkan fakta terverifikasi kepada Kanwil; tidak membuat pernyataan publik di luar yang disetujui Kakanwil.
- Petugas Humas UPT: Dewi Anggraini Putri — Menghimpun bahan dari lapangan, mengunggah pesan yang telah disetujui di akun UPT, dan meneruskan pertanyaan wartawan kepada Humas Kanwil.
- Kepala Kesatuan Pengamanan (KPLP/KPR): Fajar Ramadhan Siregar — Memeriksa langsung lokasi yang ditampilkan dalam konten (mis. kamar hunian), mendokumentasikan kondisinya sebagai bukti klarifikasi, dan menindak temuan HP ilegal.
- Operator Media Center PASOPATI: Galih Prakoso Aji — Memantau penyebaran konten, jangkauan, dan sentimen, serta memberi tahu Kabag Humas bila isu mulai menjadi tren nasional (dasar eskalasi).
- Kepala Bagian Humas dan Protokol Ditjenpas: Ratih Kusumawardhani (diberi tahu) — Menerima laporan, memantau potensi eskalasi nasional, dan menyiapkan dukungan Media Center PASOPATI.

RENCANA KOMUNIKASI
Strategi (SCCT): deny-rumour (klarifikasi rumor berbasis bukti)
Juru bicara: Kepala Kantor Wilayah Ditjenpas
Pembaruan berikutnya: 30 November 2026 pukul 17.47 WIB
Konferensi pers: tidak dijadwalkan

Pesan publik hanya memuat butir yang ditetapkan publik dalam runbook; butir lain dalam laporan ini tidak boleh dikutip, termasuk nama korban sebelum keluarganya diberi tahu.
','6fb46f0cda2d43459a9e045ab6b9a9215a597cabf5754cc74004aca376fe5e5a','["laporan-internal"]','2026-11-30 06:47:19.059557','2026-11-30 05:47:26.388242',1,NULL,'template','','{"apa": 1, "di_mana": 1}');
INSERT INTO "drafts" VALUES('abf2afde-876d-42d7-90ef-c521c961fbe2-sedang-holding_statement-id','abf2afde-876d-42d7-90ef-c521c961fbe2','sedang','holding_statement','id','PERNYATAAN AWAL
Direktorat Jenderal Pemasyarakatan
Kementerian Imigrasi dan Pemasyarakatan Republik Indonesia

Perihal: Peristiwa di Rutan Kelas IIA Jakarta Timur
Disampaikan: 30 November 2026 pukul 12.47 WIB

Kami memahami perhatian dan kekhawatiran masyarakat, khususnya keluarga warga binaan, atas peristiwa di Rutan Kelas IIA Jakarta Timur, Provinsi DKI Jakarta, yang kami ketahui pada 30 November 2026 pukul 12.47 WIB. Kami berkomitmen menyampaikan informasi yang benar, terverifikasi, dan tepat waktu.

Yang telah terkonfirmasi:
- Kejadian: Tiga tahanan kabur (sumber: Media Center PASOPATI)
- Lokasi: Rutan Kelas IIA Jakarta Timur (sumber: Media Center PASOPATI)
- Jumlah WBP terlibat: 3 orang (sumber: Media Center PASOPATI)

Yang masih diverifikasi:
- Waktu: belum dapat dikonfirmasi
- Pihak terdampak: belum dapat dikonfirmasi
- Korban: belum dapat dikonfirmasi
- Hasil penghitungan WBP: belum dapat dikonfirmasi
- Status pengejaran: belum dapat dikonfirmasi
- Jumlah WBP tertangkap kembali: belum dapat dikonfirmasi
- Barang bukti yang diamankan: belum dapat dikonfirmasi
- Koordinasi dengan Polri/TNI: belum dapat dikonfirmasi
- Status layanan kunjungan: belum dapat dikonfirmasi

Langkah yang sedang dilakukan:
- Penanganan: belum dapat dikonfirmasi

Kami menyampaikan keadaan sebagaimana adanya, tanpa mengecilkan ataupun membesar-besarkannya. Penanganan dilaksanakan sesuai ketentuan yang berlaku. Penjelasan mengenai penyebab kejadian baru akan disampaikan setelah diverifikasi.

Pembaruan informasi berikutnya akan kami sampaikan paling lambat 30 November 2026 pukul 17.47 WIB.
Informasi resmi hanya disampaikan melalui kanal resmi Direktorat Jenderal Pemasyarakatan beserta Kantor Wilayah dan UPT-nya (satu pintu informasi). Kami mengimbau masyarakat untuk tidak menyebarluaskan informasi yang belum terverifikasi.

Juru bicara: Kepala Kantor Wilayah Ditjenpas
','8e47f1db8bbc83460d913a3ae52f776212231a3e1b7d7ba40a0376a0474e4367','["akun-kanwil", "akun-upt"]','2026-11-30 06:47:29.323242','2026-11-30 05:47:30.078755',1,NULL,'template','','{"apa": 1, "di_mana": 1, "jumlah_wbp_terlibat": 1}');
INSERT INTO "drafts" VALUES('abf2afde-876d-42d7-90ef-c521c961fbe2-sedang-press_release-id','abf2afde-876d-42d7-90ef-c521c961fbe2','sedang','press_release','id','SIARAN PERS
Direktorat Jenderal Pemasyarakatan
Kementerian Imigrasi dan Pemasyarakatan Republik Indonesia

Perkembangan Penanganan Peristiwa di Rutan Kelas IIA Jakarta Timur

30 November 2026 pukul 12.47 WIB — Direktorat Jenderal Pemasyarakatan menyampaikan informasi resmi mengenai peristiwa di Rutan Kelas IIA Jakarta Timur, Provinsi DKI Jakarta, yang diketahui pada 30 November 2026 pukul 12.47 WIB. Kami memahami perhatian dan kekhawatiran masyarakat, khususnya keluarga warga binaan, atas peristiwa ini.

Fakta yang telah diverifikasi:
- Kejadian: Tiga tahanan kabur (sumber: Media Center PASOPATI)
- Lokasi: Rutan Kelas IIA Jakarta Timur (sumber: Media Center PASOPATI)
- Waktu: Senin malam (sumber: SDP)
- Jumlah WBP terlibat: 3 orang (sumber: Media Center PASOPATI)

Informasi yang masih diverifikasi:
- Pihak terdampak: belum dapat dikonfirmasi
- Korban: belum dapat dikonfirmasi
- Hasil penghitungan WBP: belum dapat dikonfirmasi
- Status pengejaran: belum dapat dikonfirmasi
- Jumlah WBP tertangkap kembali: belum dapat dikonfirmasi
- Barang bukti yang diamankan: belum dapat dikonfirmasi
- Koordinasi dengan Polri/TNI: belum dapat dikonfirmasi
- Status layanan kunjungan: belum dapat dikonfirmasi

Langkah yang sedang dilakukan:
- Penanganan: belum dapat dikonfirmasi

Kami menyampaikan keadaan sebagaimana adanya, tanpa mengecilkan ataupun membesar-besarkannya. Penanganan dilaksanakan sesuai ketentuan yang berlaku. Penjelasan mengenai penyebab kejadian baru akan disampaikan setelah diverifikasi.

Pembaruan informasi berikutnya akan kami sampaikan paling lambat 30 November 2026 pukul 17.47 WIB.
Informasi resmi hanya disampaikan melalui kanal resmi Direktorat Jenderal Pemasyarakatan beserta Kantor Wilayah dan UPT-nya (satu pintu informasi). Kami mengimbau masyarakat untuk tidak menyebarluaskan informasi yang belum terverifikasi.

Juru bicara: Kepala Kantor Wilayah Ditjenpas

***
','c829bbd9eb486e988f8f18c577835b4e6cc3963b8ea786ab71d586877c5b4118','["siaran-pers", "akun-kanwil", "akun-upt"]','2026-11-30 09:47:29.323242','2026-11-30 05:47:33.992332',1,NULL,'template','','{"apa": 1, "di_mana": 1, "kapan": 1, "jumlah_wbp_terlibat": 1}');
INSERT INTO "drafts" VALUES('abf2afde-876d-42d7-90ef-c521c961fbe2-sedang-social_post-id','abf2afde-876d-42d7-90ef-c521c961fbe2','sedang','social_post','id','Rutan Kelas IIA Jakarta Timur:
Kejadian: Tiga tahanan kabur (sumber: Media Center PASOPATI)
Lokasi: Rutan Kelas IIA Jakarta Timur (sumber: Media Center PASOPATI)
Waktu: Senin malam (sumber: SDP)
Penanganan: belum dapat dikonfirmasi
Pembaruan: 30 November 2026 pukul 17.47 WIB.
Info resmi: kanal Ditjenpas. #Pemasyarakatan
','4072d1b3a56afb694912e91c70ea4f5068e73eb709b2f7e04769855f7be7586e','["akun-kanwil", "akun-upt"]','2026-11-30 06:47:29.323242','2026-11-30 05:47:33.992332',1,NULL,'template','','{"apa": 1, "di_mana": 1, "kapan": 1}');
INSERT INTO "drafts" VALUES('abf2afde-876d-42d7-90ef-c521c961fbe2-sedang-situation_report-id','abf2afde-876d-42d7-90ef-c521c961fbe2','sedang','situation_report','id','LAPORAN SITUASI — TERBATAS
Hanya untuk Tim Komunikasi Krisis dan pimpinan; dilarang diteruskan atau dipublikasikan. Memuat data pribadi, data kesehatan, dan informasi pengamanan yang dikecualikan (UU Pelindungan Data Pribadi; UU Keterbukaan Informasi Publik).

UPT: Rutan Kelas IIA Jakarta Timur
Jenis UPT: Rutan
Wilayah: Kantor Wilayah Direktorat Jenderal Pemasyarakatan DKI Jakarta, Provinsi DKI Jakarta
Kategori: Keamanan dan Ketertiban (Kamtib)
Tingkat: Sedang
Diketahui: 30 November 2026 pukul 12.47 WIB
Laporan dibuat: 30 November 2026 pukul 12.47 WIB (batas waktu: 30 November 2026 pukul 13.47 WIB)

FAKTA TERKONFIRMASI
- Kejadian: Tiga tahanan kabur (sumber: Media Center PASOPATI)
- Lokasi: Rutan Kelas IIA Jakarta Timur (sumber: Media Center PASOPATI)
- Waktu: Senin malam (sumber: SDP)
- Jumlah WBP terlibat: 3 orang (sumber: Media Center PASOPATI)

BELUM TERKONFIRMASI
- Pihak terdampak: belum dapat dikonfirmasi
- Penanganan: belum dapat dikonfirmasi
- Korban: belum dapat dikonfirmasi
- Hasil penghitungan WBP: belum dapat dikonfirmasi
- Status pengejaran: belum dapat dikonfirmasi
- Jumlah WBP tertangkap kembali: belum dapat dikonfirmasi
- Barang bukti yang diamankan: belum dapat dikonfirmasi
- Koordinasi dengan Polri/TNI: belum dapat dikonfirmasi
- Status layanan kunjungan: belum dapat dikonfirmasi
- Identitas WBP terlibat: belum dapat dikonfirmasi
- Celah dan prosedur pengamanan: belum dapat dikonfirmasi

TIM KOMUNIKASI KRISIS
- Kepala Kantor Wilayah Ditjenpas: Tri Laksono Adinegoro — Juru bicara dan pemberi persetujuan: menyetujui setiap pesan publik, menyampaikannya kepada media, dan melapor kepada Humas Ditjenpas.
- Petugas Humas Kanwil: Melati Sekar Ayu — Menyusun draf pernyataan dan siaran pers untuk persetujuan Kakanwil, mengelola akun Kanwil, dan menyelaraskan unggahan akun UPT.
- Kepala Divisi Pemasyarakatan: Gunawan Prasetyo Utomo — Memverifikasi jumlah WBP dan status pengejaran dengan UPT, SDP, dan Polres sebelum angka masuk pesan publik.
- Kepala UPT (Kalapas/Karutan/Kepala LPKA): Sri Wahyuni Kusumastuti — Memimpin penanganan di UPT dan melaporkan fakta terverifikasi kepada Kanwil; tidak membuat pernyataan publik di luar yang disetujui Kakanwil.
- Petugas Humas UPT: Nurul Hidayah Rahmawati — Menghimpun bahan dari lapangan, mengunggah pesan yang telah disetujui di akun UPT, dan meneruskan pertanyaan wartawan kepada Humas Kanwil.
- Kepala Kesatuan Pengamanan (KPLP/KPR): Ratna Puspitasari Hamid — Memimpin penghitungan ulang WBP yang dicocokkan dengan SDP dan melaporkan status pengamanan serta koordinasi dengan Polres; rincian prosedur dan celah pengamanan hanya masuk laporan internal.
- Kepala Bagian Humas dan Protokol Ditjenpas: Ratih Kusumawardhani (diberi tahu) — Menerima laporan, memantau potensi eskalasi nasional, dan menyiapkan dukungan Media Center PASOPATI.

RENCANA KOMUNIKASI
Strategi (SCCT): diminish (penjelasan keadaan tanpa mengecilkan dampak)
Juru bicara: Kepala Kantor Wilayah Ditjenpas
Pembaruan berikutnya: 30 November 2026 pukul 17.47 WIB
Konferensi pers: tidak dijadwalkan

Pesan publik hanya memuat butir yang ditetapkan publik dalam runbook; butir lain dalam laporan ini tidak boleh dikutip, termasuk nama korban sebelum keluarganya diberi tahu.
','9f30c583580425d78b7869176e5a9e499f8c52b5505792488372f7879394d1a8','["laporan-internal"]','2026-11-30 06:47:29.323242','2026-11-30 05:47:33.992332',1,NULL,'template','','{"apa": 1, "di_mana": 1, "kapan": 1, "jumlah_wbp_terlibat": 1}');
INSERT INTO "drafts" VALUES('abf2afde-876d-42d7-90ef-c521c961fbe2-sedang-correction-id-548a824e','abf2afde-876d-42d7-90ef-c521c961fbe2','sedang','correction','id','RALAT INFORMASI
Direktorat Jenderal Pemasyarakatan
Kementerian Imigrasi dan Pemasyarakatan Republik Indonesia

Perihal: Peristiwa di Rutan Kelas IIA Jakarta Timur
Disampaikan: 30 November 2026 pukul 12.47 WIB

Dengan ini kami meralat informasi yang sebelumnya kami sampaikan mengenai peristiwa di Rutan Kelas IIA Jakarta Timur:
- Jumlah WBP terlibat: sebelumnya disampaikan "3 orang"; yang benar "4 orang" (sumber: Polres, per 30 November 2026 pukul 12.47 WIB).

Informasi lain dalam pernyataan sebelumnya tetap berlaku. Kami mohon maaf atas ketidaktepatan tersebut dan akan terus menyampaikan pembaruan yang terverifikasi.

Kepala Kantor Wilayah Ditjenpas
','231931d2759ccf74c436a793cfdd29f3de3087ae741d2065e13cd4356511ad5a','["akun-kanwil", "akun-upt", "laporan-internal", "siaran-pers"]','2026-11-30 06:47:37.346985','2026-11-30 05:47:37.346985',1,NULL,'template','','{"jumlah_wbp_terlibat": 2}');
INSERT INTO "drafts" VALUES('e745022d-4f78-47b6-805d-9c9e14aebdf9-sedang-holding_statement-id','e745022d-4f78-47b6-805d-9c9e14aebdf9','sedang','holding_statement','id','PERNYATAAN AWAL
Direktorat Jenderal Pemasyarakatan
Kementerian Imigrasi dan Pemasyarakatan Republik Indonesia

Perihal: Peristiwa di Lapas Kelas I Sukamiskin
Disampaikan: 30 November 2026 pukul 12.47 WIB

Kami memahami perhatian dan kekhawatiran masyarakat, khususnya keluarga warga binaan, atas peristiwa di Lapas Kelas I Sukamiskin, Provinsi Jawa Barat, yang kami ketahui pada 30 November 2026 pukul 06.47 WIB. Kami berkomitmen menyampaikan informasi yang benar, terverifikasi, dan tepat waktu.

Yang telah terkonfirmasi:
- Kejadian: Dugaan pungli layanan kunjungan (sumber: Media Center PASOPATI)
- Lokasi: Lapas Kelas I Sukamiskin (sumber: Media Center PASOPATI)

Yang masih diverifikasi:
- Waktu: belum dapat dikonfirmasi
- Pihak terdampak: belum dapat dikonfirmasi
- Korban: belum dapat dikonfirmasi
- Petugas yang diperiksa: belum dapat dikonfirmasi
- Status pemeriksaan: belum dapat dikonfirmasi
- Tindakan sementara: belum dapat dikonfirmasi
- Langkah perbaikan: belum dapat dikonfirmasi

Langkah yang sedang dilakukan:
- Penanganan: belum dapat dikonfirmasi

Kami memohon maaf kepada masyarakat dan keluarga warga binaan atas peristiwa ini. Kami bertanggung jawab penuh atas pelaksanaan tugas Pemasyarakatan, termasuk keselamatan warga binaan dan integritas petugas. Setiap petugas yang terbukti lalai atau melanggar akan dikenai sanksi sesuai ketentuan peraturan perundang-undangan, dan kami melakukan evaluasi menyeluruh untuk menetapkan langkah perbaikan. Perkembangan pemeriksaan, sanksi, dan langkah perbaikan akan kami sampaikan secara terbuka.

Pembaruan informasi berikutnya akan kami sampaikan paling lambat 30 November 2026 pukul 17.47 WIB.
Informasi resmi hanya disampaikan melalui kanal resmi Direktorat Jenderal Pemasyarakatan beserta Kantor Wilayah dan UPT-nya (satu pintu informasi). Kami mengimbau masyarakat untuk tidak menyebarluaskan informasi yang belum terverifikasi.

Juru bicara: Kepala Kantor Wilayah Ditjenpas
','547a978f914563e1ff1de9fe063703f4ff87808509c38022fae7d2572945aafc','["akun-kanwil", "akun-upt"]','2026-11-30 00:47:39.437142','2026-11-30 05:47:40.943444',1,NULL,'template','','{"apa": 1, "di_mana": 1}');
INSERT INTO "drafts" VALUES('ed699ba1-2580-4a6b-9620-8402a60e6f59-sedang-holding_statement-id','ed699ba1-2580-4a6b-9620-8402a60e6f59','sedang','holding_statement','id','PERNYATAAN AWAL
Direktorat Jenderal Pemasyarakatan
Kementerian Imigrasi dan Pemasyarakatan Republik Indonesia

Perihal: Peristiwa di Lapas Kelas I Cipinang
Disampaikan: 30 November 2026 pukul 12.47 WIB

Kami memahami perhatian dan kekhawatiran masyarakat, khususnya keluarga warga binaan, atas peristiwa di Lapas Kelas I Cipinang, Provinsi DKI Jakarta, yang kami ketahui pada 30 November 2026 pukul 12.47 WIB. Kami berkomitmen menyampaikan informasi yang benar, terverifikasi, dan tepat waktu.

Yang telah terkonfirmasi:
- Belum ada fakta terverifikasi yang dapat disampaikan saat ini.

Yang masih diverifikasi:
- Kejadian: belum dapat dikonfirmasi
- Lokasi: belum dapat dikonfirmasi
- Waktu: belum dapat dikonfirmasi
- Pihak terdampak: belum dapat dikonfirmasi
- Korban: belum dapat dikonfirmasi
- Jumlah WBP terlibat: belum dapat dikonfirmasi
- Hasil penghitungan WBP: belum dapat dikonfirmasi
- Status pengejaran: belum dapat dikonfirmasi
- Jumlah WBP tertangkap kembali: belum dapat dikonfirmasi
- Barang bukti yang diamankan: belum dapat dikonfirmasi
- Koordinasi dengan Polri/TNI: belum dapat dikonfirmasi
- Status layanan kunjungan: belum dapat dikonfirmasi

Langkah yang sedang dilakukan:
- Penanganan: belum dapat dikonfirmasi

Kami menyampaikan keadaan sebagaimana adanya, tanpa mengecilkan ataupun membesar-besarkannya. Penanganan dilaksanakan sesuai ketentuan yang berlaku. Penjelasan mengenai penyebab kejadian baru akan disampaikan setelah diverifikasi.

Pembaruan informasi berikutnya akan kami sampaikan paling lambat 30 November 2026 pukul 17.47 WIB.
Informasi resmi hanya disampaikan melalui kanal resmi Direktorat Jenderal Pemasyarakatan beserta Kantor Wilayah dan UPT-nya (satu pintu informasi). Kami mengimbau masyarakat untuk tidak menyebarluaskan informasi yang belum terverifikasi.

Juru bicara: Kepala Kantor Wilayah Ditjenpas
','ea2426ac35f8a4855801bbb62df27b977b9bdda7261982782c092601b17af56b','["akun-kanwil", "akun-upt"]','2026-11-30 06:47:55.616637','2026-11-30 05:47:58.518708',1,NULL,'template','','{}');
INSERT INTO "drafts" VALUES('05ade90f-b195-4d4d-836d-ff78480eaa9d-sedang-holding_statement-id','05ade90f-b195-4d4d-836d-ff78480eaa9d','sedang','holding_statement','id','PERNYATAAN AWAL
Direktorat Jenderal Pemasyarakatan
Kementerian Imigrasi dan Pemasyarakatan Republik Indonesia

Perihal: Peristiwa di Lapas Kelas IIA Pangkalpinang
Disampaikan: 30 November 2026 pukul 12.47 WIB

Kami memahami perhatian dan kekhawatiran masyarakat, khususnya keluarga warga binaan, atas peristiwa di Lapas Kelas IIA Pangkalpinang, Provinsi Kepulauan Bangka Belitung, yang kami ketahui pada 30 November 2026 pukul 12.47 WIB. Kami berkomitmen menyampaikan informasi yang benar, terverifikasi, dan tepat waktu.

Yang telah terkonfirmasi:
- Belum ada fakta terverifikasi yang dapat disampaikan saat ini.

Yang masih diverifikasi:
- Kejadian: belum dapat dikonfirmasi
- Lokasi: belum dapat dikonfirmasi
- Waktu: belum dapat dikonfirmasi
- Pihak terdampak: belum dapat dikonfirmasi
- Korban: belum dapat dikonfirmasi
- Jumlah WBP terlibat: belum dapat dikonfirmasi
- Hasil penghitungan WBP: belum dapat dikonfirmasi
- Status pengejaran: belum dapat dikonfirmasi
- Jumlah WBP tertangkap kembali: belum dapat dikonfirmasi
- Barang bukti yang diamankan: belum dapat dikonfirmasi
- Koordinasi dengan Polri/TNI: belum dapat dikonfirmasi
- Status layanan kunjungan: belum dapat dikonfirmasi

Langkah yang sedang dilakukan:
- Penanganan: belum dapat dikonfirmasi

Kami menyampaikan keadaan sebagaimana adanya, tanpa mengecilkan ataupun membesar-besarkannya. Penanganan dilaksanakan sesuai ketentuan yang berlaku. Penjelasan mengenai penyebab kejadian baru akan disampaikan setelah diverifikasi.

Pembaruan informasi berikutnya akan kami sampaikan paling lambat 30 November 2026 pukul 17.47 WIB.
Informasi resmi hanya disampaikan melalui kanal resmi Direktorat Jenderal Pemasyarakatan beserta Kantor Wilayah dan UPT-nya (satu pintu informasi). Kami mengimbau masyarakat untuk tidak menyebarluaskan informasi yang belum terverifikasi.

Juru bicara: Kepala Kantor Wilayah Ditjenpas
','3a95e9f90c236af91d28943351ad864d55ad46f4f0cc5bb3315bc3833a4b33f8','["akun-kanwil", "akun-upt"]','2026-11-30 06:47:55.706816','2026-11-30 05:47:58.892186',1,NULL,'template','','{}');
INSERT INTO "drafts" VALUES('a0e40868-ad59-4cb4-a1cb-372a544aa03d-luar-biasa-holding_statement-id','a0e40868-ad59-4cb4-a1cb-372a544aa03d','luar-biasa','holding_statement','id','PERNYATAAN AWAL
Direktorat Jenderal Pemasyarakatan
Kementerian Imigrasi dan Pemasyarakatan Republik Indonesia

Perihal: Peristiwa di Lapas Kelas IIA Banyuasin
Disampaikan: 30 November 2026 pukul 12.47 WIB

Kami memahami perhatian dan kekhawatiran masyarakat, khususnya keluarga warga binaan, atas peristiwa di Lapas Kelas IIA Banyuasin, Provinsi Sumatera Selatan, yang kami ketahui pada 30 November 2026 pukul 12.47 WIB. Kami berkomitmen menyampaikan informasi yang benar, terverifikasi, dan tepat waktu.

Yang telah terkonfirmasi:
- Belum ada fakta terverifikasi yang dapat disampaikan saat ini.

Yang masih diverifikasi:
- Kejadian: belum dapat dikonfirmasi
- Lokasi: belum dapat dikonfirmasi
- Waktu: belum dapat dikonfirmasi
- Pihak terdampak: belum dapat dikonfirmasi
- Korban: belum dapat dikonfirmasi
- Jumlah WBP terlibat: belum dapat dikonfirmasi
- Hasil penghitungan WBP: belum dapat dikonfirmasi
- Status pengejaran: belum dapat dikonfirmasi
- Jumlah WBP tertangkap kembali: belum dapat dikonfirmasi
- Barang bukti yang diamankan: belum dapat dikonfirmasi
- Koordinasi dengan Polri/TNI: belum dapat dikonfirmasi
- Status layanan kunjungan: belum dapat dikonfirmasi

Langkah yang sedang dilakukan:
- Penanganan: belum dapat dikonfirmasi

Kami memohon maaf kepada masyarakat dan keluarga warga binaan atas peristiwa ini. Kami bertanggung jawab penuh atas pelaksanaan tugas Pemasyarakatan, termasuk keselamatan warga binaan dan integritas petugas. Setiap petugas yang terbukti lalai atau melanggar akan dikenai sanksi sesuai ketentuan peraturan perundang-undangan, dan kami melakukan evaluasi menyeluruh untuk menetapkan langkah perbaikan. Perkembangan pemeriksaan, sanksi, dan langkah perbaikan akan kami sampaikan secara terbuka.

Pembaruan informasi berikutnya akan kami sampaikan paling lambat 30 November 2026 pukul 14.17 WIB.
Konferensi pers akan diselenggarakan paling lambat enam jam sejak peristiwa diketahui; waktu dan tempat diumumkan melalui kanal resmi.
Informasi resmi hanya disampaikan melalui kanal resmi Direktorat Jenderal Pemasyarakatan beserta Kantor Wilayah dan UPT-nya (satu pintu informasi). Kami mengimbau masyarakat untuk tidak menyebarluaskan informasi yang belum terverifikasi.

Juru bicara: Direktur Jenderal Pemasyarakatan
','503e39db18ed1252cf6e1b5c1166afdf730cf80d8a0d3497950e8a191d0b68e3','["situs-ditjenpas", "medsos-ditjenpas", "media-center", "pusat-informasi-bersama", "posko-keluarga", "call-center", "akun-kanwil", "akun-upt"]','2026-11-30 06:02:55.862881','2026-11-30 05:47:59.588410',1,NULL,'template','','{}');
INSERT INTO "drafts" VALUES('a0e40868-ad59-4cb4-a1cb-372a544aa03d-luar-biasa-holding_statement-en','a0e40868-ad59-4cb4-a1cb-372a544aa03d','luar-biasa','holding_statement','en','INITIAL STATEMENT
Directorate General of Corrections
Ministry of Immigration and Corrections of the Republic of Indonesia

Subject: Incident at Lapas Kelas IIA Banyuasin
Issued: 30 November 2026, 12:47 WIB

We understand the concern of the public, and especially of the families of inmates, about the incident at Lapas Kelas IIA Banyuasin, Sumatera Selatan Province, which came to our attention on 30 November 2026, 12:47 WIB. We are committed to providing accurate, verified and timely information.

Confirmed so far:
- No verified facts can be shared at this time.

Still being verified:
- Kejadian: not yet confirmed
- Lokasi: not yet confirmed
- Waktu: not yet confirmed
- Pihak terdampak: not yet confirmed
- Korban: not yet confirmed
- Jumlah WBP terlibat: not yet confirmed
- Hasil penghitungan WBP: not yet confirmed
- Status pengejaran: not yet confirmed
- Jumlah WBP tertangkap kembali: not yet confirmed
- Barang bukti yang diamankan: not yet confirmed
- Koordinasi dengan Polri/TNI: not yet confirmed
- Status layanan kunjungan: not yet confirmed

What is being done:
- Penanganan: not yet confirmed

We apologise to the public and to the families of inmates for this incident. We take full responsibility for the conduct of correctional duties, including the safety of inmates and the integrity of our officers. Any officer found to have been negligent or to have committed a violation will be sanctioned in accordance with the law, and we are conducting a thorough evaluation so that corrective measures can be taken. Progress on the examination, sanctions and corrective measures will be reported openly.

The next update will be issued no later than 30 November 2026, 14:17 WIB.
A press conference will be held within six hours of the incident being identified; time and venue will be announced through official channels.
Official information is released only through the official channels of the Directorate General of Corrections and its regional offices and units (one door of information). We ask the public not to share unverified information.

Spokesperson: Direktur Jenderal Pemasyarakatan
','a141b8b415349678522fbc2194eae937c587f064b830900d6f73189dbdd3a160','["situs-ditjenpas", "medsos-ditjenpas", "media-center", "pusat-informasi-bersama", "posko-keluarga", "call-center", "akun-kanwil", "akun-upt"]','2026-11-30 06:02:55.862881','2026-11-30 05:47:59.588410',1,NULL,'template','','{}');
INSERT INTO "drafts" VALUES('75177930-864d-4c4b-9bac-f40b3d99420a-luar-biasa-holding_statement-id','75177930-864d-4c4b-9bac-f40b3d99420a','luar-biasa','holding_statement','id','PERNYATAAN AWAL
Direktorat Jenderal Pemasyarakatan
Kementerian Imigrasi dan Pemasyarakatan Republik Indonesia

Perihal: Peristiwa di Lapas Kelas IIB Nabire
Disampaikan: 30 November 2026 pukul 14.48 WIT

Kami memahami perhatian dan kekhawatiran masyarakat, khususnya keluarga warga binaan, atas peristiwa di Lapas Kelas IIB Nabire, Provinsi Papua Tengah, yang kami ketahui pada 30 November 2026 pukul 14.47 WIT. Kami berkomitmen menyampaikan informasi yang benar, terverifikasi, dan tepat waktu.

Yang telah terkonfirmasi:
- Belum ada fakta terverifikasi yang dapat disampaikan saat ini.

Yang masih diverifikasi:
- Kejadian: belum dapat dikonfirmasi
- Lokasi: belum dapat dikonfirmasi
- Waktu: belum dapat dikonfirmasi
- Pihak terdampak: belum dapat dikonfirmasi
- Korban: belum dapat dikonfirmasi
- Jumlah WBP terlibat: belum dapat dikonfirmasi
- Hasil penghitungan WBP: belum dapat dikonfirmasi
- Status pengejaran: belum dapat dikonfirmasi
- Jumlah WBP tertangkap kembali: belum dapat dikonfirmasi
- Barang bukti yang diamankan: belum dapat dikonfirmasi
- Koordinasi dengan Polri/TNI: belum dapat dikonfirmasi
- Status layanan kunjungan: belum dapat dikonfirmasi

Langkah yang sedang dilakukan:
- Penanganan: belum dapat dikonfirmasi

Kami memohon maaf kepada masyarakat dan keluarga warga binaan atas peristiwa ini. Kami bertanggung jawab penuh atas pelaksanaan tugas Pemasyarakatan, termasuk keselamatan warga binaan dan integritas petugas. Setiap petugas yang terbukti lalai atau melanggar akan dikenai sanksi sesuai ketentuan peraturan perundang-undangan, dan kami melakukan evaluasi menyeluruh untuk menetapkan langkah perbaikan. Perkembangan pemeriksaan, sanksi, dan langkah perbaikan akan kami sampaikan secara terbuka.

Pembaruan informasi berikutnya akan kami sampaikan paling lambat 30 November 2026 pukul 16.18 WIT.
Konferensi pers akan diselenggarakan paling lambat enam jam sejak peristiwa diketahui; waktu dan tempat diumumkan melalui kanal resmi.
Informasi resmi hanya disampaikan melalui kanal resmi Direktorat Jenderal Pemasyarakatan beserta Kantor Wilayah dan UPT-nya (satu pintu informasi). Kami mengimbau masyarakat untuk tidak menyebarluaskan informasi yang belum terverifikasi.

Juru bicara: Direktur Jenderal Pemasyarakatan
','fb59c6b944efab73aa776e5f62089d331be6ba528f4e0c832013fedcfb471247','["situs-ditjenpas", "medsos-ditjenpas", "media-center", "pusat-informasi-bersama", "posko-keluarga", "call-center", "akun-kanwil", "akun-upt"]','2026-11-30 06:02:59.879138','2026-11-30 05:48:01.487552',1,NULL,'template','','{}');
INSERT INTO "drafts" VALUES('75177930-864d-4c4b-9bac-f40b3d99420a-luar-biasa-holding_statement-en','75177930-864d-4c4b-9bac-f40b3d99420a','luar-biasa','holding_statement','en','INITIAL STATEMENT
Directorate General of Corrections
Ministry of Immigration and Corrections of the Republic of Indonesia

Subject: Incident at Lapas Kelas IIB Nabire
Issued: 30 November 2026, 14:48 WIT

We understand the concern of the public, and especially of the families of inmates, about the incident at Lapas Kelas IIB Nabire, Papua Tengah Province, which came to our attention on 30 November 2026, 14:47 WIT. We are committed to providing accurate, verified and timely information.

Confirmed so far:
- No verified facts can be shared at this time.

Still being verified:
- Kejadian: not yet confirmed
- Lokasi: not yet confirmed
- Waktu: not yet confirmed
- Pihak terdampak: not yet confirmed
- Korban: not yet confirmed
- Jumlah WBP terlibat: not yet confirmed
- Hasil penghitungan WBP: not yet confirmed
- Status pengejaran: not yet confirmed
- Jumlah WBP tertangkap kembali: not yet confirmed
- Barang bukti yang diamankan: not yet confirmed
- Koordinasi dengan Polri/TNI: not yet confirmed
- Status layanan kunjungan: not yet confirmed

What is being done:
- Penanganan: not yet confirmed

We apologise to the public and to the families of inmates for this incident. We take full responsibility for the conduct of correctional duties, including the safety of inmates and the integrity of our officers. Any officer found to have been negligent or to have committed a violation will be sanctioned in accordance with the law, and we are conducting a thorough evaluation so that corrective measures can be taken. Progress on the examination, sanctions and corrective measures will be reported openly.

The next update will be issued no later than 30 November 2026, 16:18 WIT.
A press conference will be held within six hours of the incident being identified; time and venue will be announced through official channels.
Official information is released only through the official channels of the Directorate General of Corrections and its regional offices and units (one door of information). We ask the public not to share unverified information.

Spokesperson: Direktur Jenderal Pemasyarakatan
','e8b9e5a9acdd99c11663cac483c1c7583a1d86f513c7683c5f378a260c71983d','["situs-ditjenpas", "medsos-ditjenpas", "media-center", "pusat-informasi-bersama", "posko-keluarga", "call-center", "akun-kanwil", "akun-upt"]','2026-11-30 06:02:59.879138','2026-11-30 05:48:01.487552',1,NULL,'template','','{}');
CREATE TABLE escalations (
	id INTEGER NOT NULL, 
	incident_id VARCHAR(36) NOT NULL, 
	severity VARCHAR(16) NOT NULL, 
	kind VARCHAR(16) NOT NULL, 
	subject TEXT NOT NULL, 
	to_role VARCHAR(64), 
	reason TEXT NOT NULL, 
	at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (incident_id, severity, kind, subject), 
	FOREIGN KEY(incident_id) REFERENCES incidents (id)
);
INSERT INTO "escalations" VALUES(1,'e745022d-4f78-47b6-805d-9c9e14aebdf9','sedang','approval','persetujuan-awal','dirjen','tenggat 00:47 terlewati tanpa keputusan','2026-11-30 05:47:41.921443');
INSERT INTO "escalations" VALUES(2,'ecde9512-4b56-462a-b04b-e1343732c22a','luar-biasa','acknowledgement','Sutan Mahendra Harahap','sekjen','Sutan Mahendra Harahap belum mengonfirmasi dalam 10 menit','2026-11-30 06:18:51.795717');
INSERT INTO "escalations" VALUES(3,'ecde9512-4b56-462a-b04b-e1343732c22a','luar-biasa','acknowledgement','Kartika Dyah Pramesti','sekjen','Kartika Dyah Pramesti belum mengonfirmasi dalam 10 menit','2026-11-30 06:18:51.795717');
INSERT INTO "escalations" VALUES(4,'ecde9512-4b56-462a-b04b-e1343732c22a','luar-biasa','acknowledgement','Haryo Seno Adiwijaya','sesditjen','Haryo Seno Adiwijaya belum mengonfirmasi dalam 10 menit','2026-11-30 06:18:51.795717');
INSERT INTO "escalations" VALUES(5,'ecde9512-4b56-462a-b04b-e1343732c22a','luar-biasa','acknowledgement','Ratih Kusumawardhani','sesditjen','Ratih Kusumawardhani belum mengonfirmasi dalam 10 menit','2026-11-30 06:18:51.795717');
INSERT INTO "escalations" VALUES(6,'ecde9512-4b56-462a-b04b-e1343732c22a','luar-biasa','acknowledgement','Galih Prakoso Aji','kabag-humas','Galih Prakoso Aji belum mengonfirmasi dalam 10 menit','2026-11-30 06:18:51.795717');
INSERT INTO "escalations" VALUES(7,'ecde9512-4b56-462a-b04b-e1343732c22a','luar-biasa','acknowledgement','Muhammad Arsyad Pallawa','kadiv-pemasyarakatan','Muhammad Arsyad Pallawa belum mengonfirmasi dalam 10 menit','2026-11-30 06:18:51.795717');
INSERT INTO "escalations" VALUES(8,'ecde9512-4b56-462a-b04b-e1343732c22a','luar-biasa','acknowledgement','Andi Nurfadillah Rasyid','kadiv-pemasyarakatan','Andi Nurfadillah Rasyid belum mengonfirmasi dalam 10 menit','2026-11-30 06:18:51.795717');
INSERT INTO "escalations" VALUES(9,'ecde9512-4b56-462a-b04b-e1343732c22a','luar-biasa','acknowledgement','Syamsul Bahri Lantara','kakanwil','Syamsul Bahri Lantara belum mengonfirmasi dalam 10 menit','2026-11-30 06:18:51.795717');
INSERT INTO "escalations" VALUES(10,'ecde9512-4b56-462a-b04b-e1343732c22a','luar-biasa','acknowledgement','Andi Muhammad Ridwan Tajuddin','kepala-kpr','Andi Muhammad Ridwan Tajuddin belum mengonfirmasi dalam 10 menit','2026-11-30 06:18:51.795717');
INSERT INTO "escalations" VALUES(11,'ecde9512-4b56-462a-b04b-e1343732c22a','luar-biasa','acknowledgement','Nurhaedah Syamsuddin','kepala-upt','Nurhaedah Syamsuddin belum mengonfirmasi dalam 10 menit','2026-11-30 06:18:51.795717');
INSERT INTO "escalations" VALUES(12,'ecde9512-4b56-462a-b04b-e1343732c22a','luar-biasa','acknowledgement','Irwan Daeng Ngalle','kepala-upt','Irwan Daeng Ngalle belum mengonfirmasi dalam 10 menit','2026-11-30 06:18:51.795717');
INSERT INTO "escalations" VALUES(13,'ecde9512-4b56-462a-b04b-e1343732c22a','luar-biasa','acknowledgement','dr. Haerul Amri Latief','kepala-upt','dr. Haerul Amri Latief belum mengonfirmasi dalam 10 menit','2026-11-30 06:18:51.795717');
INSERT INTO "escalations" VALUES(14,'cc767071-6206-4c99-85fd-ba03a865420f','sedang','acknowledgement','Tri Laksono Adinegoro','kadiv-pemasyarakatan','Tri Laksono Adinegoro belum mengonfirmasi dalam 30 menit','2026-11-30 06:18:51.795717');
INSERT INTO "escalations" VALUES(15,'cc767071-6206-4c99-85fd-ba03a865420f','sedang','acknowledgement','Melati Sekar Ayu','kadiv-pemasyarakatan','Melati Sekar Ayu belum mengonfirmasi dalam 30 menit','2026-11-30 06:18:51.795717');
INSERT INTO "escalations" VALUES(16,'cc767071-6206-4c99-85fd-ba03a865420f','sedang','acknowledgement','Gunawan Prasetyo Utomo','kakanwil','Gunawan Prasetyo Utomo belum mengonfirmasi dalam 30 menit','2026-11-30 06:18:51.795717');
INSERT INTO "escalations" VALUES(17,'cc767071-6206-4c99-85fd-ba03a865420f','sedang','acknowledgement','Hendra Kurniawan Saputro','kepala-kpr','Hendra Kurniawan Saputro belum mengonfirmasi dalam 30 menit','2026-11-30 06:18:51.795717');
INSERT INTO "escalations" VALUES(18,'cc767071-6206-4c99-85fd-ba03a865420f','sedang','acknowledgement','Dewi Anggraini Putri','kepala-upt','Dewi Anggraini Putri belum mengonfirmasi dalam 30 menit','2026-11-30 06:18:51.795717');
INSERT INTO "escalations" VALUES(19,'cc767071-6206-4c99-85fd-ba03a865420f','sedang','acknowledgement','Fajar Ramadhan Siregar','kepala-upt','Fajar Ramadhan Siregar belum mengonfirmasi dalam 30 menit','2026-11-30 06:18:51.795717');
INSERT INTO "escalations" VALUES(20,'cc767071-6206-4c99-85fd-ba03a865420f','sedang','acknowledgement','Galih Prakoso Aji','kabag-humas','Galih Prakoso Aji belum mengonfirmasi dalam 30 menit','2026-11-30 06:18:51.795717');
INSERT INTO "escalations" VALUES(21,'abf2afde-876d-42d7-90ef-c521c961fbe2','sedang','acknowledgement','Tri Laksono Adinegoro','kadiv-pemasyarakatan','Tri Laksono Adinegoro belum mengonfirmasi dalam 30 menit','2026-11-30 06:18:51.795717');
INSERT INTO "escalations" VALUES(22,'abf2afde-876d-42d7-90ef-c521c961fbe2','sedang','acknowledgement','Melati Sekar Ayu','kadiv-pemasyarakatan','Melati Sekar Ayu belum mengonfirmasi dalam 30 menit','2026-11-30 06:18:51.795717');
INSERT INTO "escalations" VALUES(23,'abf2afde-876d-42d7-90ef-c521c961fbe2','sedang','acknowledgement','Gunawan Prasetyo Utomo','kakanwil','Gunawan Prasetyo Utomo belum mengonfirmasi dalam 30 menit','2026-11-30 06:18:51.795717');
INSERT INTO "escalations" VALUES(24,'abf2afde-876d-42d7-90ef-c521c961fbe2','sedang','acknowledgement','Sri Wahyuni Kusumastuti','kepala-kpr','Sri Wahyuni Kusumastuti belum mengonfirmasi dalam 30 menit','2026-11-30 06:18:51.795717');
INSERT INTO "escalations" VALUES(25,'abf2afde-876d-42d7-90ef-c521c961fbe2','sedang','acknowledgement','Nurul Hidayah Rahmawati','kepala-upt','Nurul Hidayah Rahmawati belum mengonfirmasi dalam 30 menit','2026-11-30 06:18:51.795717');
INSERT INTO "escalations" VALUES(26,'abf2afde-876d-42d7-90ef-c521c961fbe2','sedang','acknowledgement','Ratna Puspitasari Hamid','kepala-upt','Ratna Puspitasari Hamid belum mengonfirmasi dalam 30 menit','2026-11-30 06:18:51.795717');
INSERT INTO "escalations" VALUES(27,'e745022d-4f78-47b6-805d-9c9e14aebdf9','sedang','acknowledgement','Wawan Gunawan Suherman','kakanwil','Wawan Gunawan Suherman belum mengonfirmasi dalam 30 menit','2026-11-30 06:18:51.795717');
INSERT INTO "escalations" VALUES(28,'e745022d-4f78-47b6-805d-9c9e14aebdf9','sedang','acknowledgement','Asep Suryana Permana','kepala-kpr','Asep Suryana Permana belum mengonfirmasi dalam 30 menit','2026-11-30 06:18:51.795717');
INSERT INTO "escalations" VALUES(29,'e745022d-4f78-47b6-805d-9c9e14aebdf9','sedang','acknowledgement','Neneng Sulastri','kepala-upt','Neneng Sulastri belum mengonfirmasi dalam 30 menit','2026-11-30 06:18:51.795717');
CREATE TABLE evaluations (
	incident_id VARCHAR(36) NOT NULL, 
	created_at DATETIME NOT NULL, 
	data JSON NOT NULL, 
	PRIMARY KEY (incident_id), 
	FOREIGN KEY(incident_id) REFERENCES incidents (id)
);
INSERT INTO "evaluations" VALUES('ecde9512-4b56-462a-b04b-e1343732c22a','2026-11-30 05:47:18.066866','{"incident_id": "ecde9512-4b56-462a-b04b-e1343732c22a", "outcome": "published", "timings": [{"stage": "opened", "at": "2026-11-30T05:47:07.324036Z", "seconds_since_detection": 0.047033}, {"stage": "team", "at": "2026-11-30T05:47:07.359646Z", "seconds_since_detection": 0.082643}, {"stage": "holding_drafted", "at": "2026-11-30T05:47:08.307934Z", "seconds_since_detection": 1.030931}, {"stage": "holding_approved", "at": "2026-11-30T05:47:13.432470Z", "seconds_since_detection": 6.155467}, {"stage": "first_publication", "at": "2026-11-30T05:47:13.541716Z", "seconds_since_detection": 6.264713}, {"stage": "verified", "at": "2026-11-30T05:47:16.311357Z", "seconds_since_detection": 9.034354}, {"stage": "drafted", "at": "2026-11-30T05:47:16.433221Z", "seconds_since_detection": 9.156218}, {"stage": "evaluated", "at": "2026-11-30T05:47:18.033481Z", "seconds_since_detection": 10.756478}], "deadlines": [{"message_type": "holding_statement", "due_at": "2026-11-30T06:02:07.277003Z", "published_at": "2026-11-30T05:47:13.509571Z"}, {"message_type": "press_release", "due_at": "2026-11-30T07:47:07.277003Z", "published_at": null}, {"message_type": "social_post", "due_at": "2026-11-30T06:02:07.277003Z", "published_at": null}, {"message_type": "situation_report", "due_at": "2026-11-30T06:02:07.277003Z", "published_at": null}], "publications_sent": 16, "publications_failed": 0, "team_gaps": []}');
INSERT INTO "evaluations" VALUES('cc767071-6206-4c99-85fd-ba03a865420f','2026-11-30 05:47:28.139569','{"incident_id": "cc767071-6206-4c99-85fd-ba03a865420f", "outcome": "published", "timings": [{"stage": "opened", "at": "2026-11-30T05:47:19.094459Z", "seconds_since_detection": 0.034902}, {"stage": "team", "at": "2026-11-30T05:47:19.119299Z", "seconds_since_detection": 0.059742}, {"stage": "holding_drafted", "at": "2026-11-30T05:47:19.780566Z", "seconds_since_detection": 0.721009}, {"stage": "holding_approved", "at": "2026-11-30T05:47:24.611118Z", "seconds_since_detection": 5.551561}, {"stage": "first_publication", "at": "2026-11-30T05:47:24.682678Z", "seconds_since_detection": 5.623121}, {"stage": "verified", "at": "2026-11-30T05:47:26.345639Z", "seconds_since_detection": 7.286082}, {"stage": "drafted", "at": "2026-11-30T05:47:26.442907Z", "seconds_since_detection": 7.38335}, {"stage": "evaluated", "at": "2026-11-30T05:47:28.107979Z", "seconds_since_detection": 9.048422}], "deadlines": [{"message_type": "holding_statement", "due_at": "2026-11-30T06:47:19.059557Z", "published_at": "2026-11-30T05:47:24.678379Z"}, {"message_type": "press_release", "due_at": "2026-11-30T09:47:19.059557Z", "published_at": null}, {"message_type": "social_post", "due_at": "2026-11-30T06:47:19.059557Z", "published_at": null}, {"message_type": "situation_report", "due_at": "2026-11-30T06:47:19.059557Z", "published_at": null}], "publications_sent": 2, "publications_failed": 0, "team_gaps": []}');
INSERT INTO "evaluations" VALUES('abf2afde-876d-42d7-90ef-c521c961fbe2','2026-11-30 05:47:35.970244','{"incident_id": "abf2afde-876d-42d7-90ef-c521c961fbe2", "outcome": "published", "timings": [{"stage": "opened", "at": "2026-11-30T05:47:29.565429Z", "seconds_since_detection": 0.242187}, {"stage": "team", "at": "2026-11-30T05:47:29.597742Z", "seconds_since_detection": 0.2745}, {"stage": "holding_drafted", "at": "2026-11-30T05:47:30.248997Z", "seconds_since_detection": 0.925755}, {"stage": "holding_approved", "at": "2026-11-30T05:47:32.211212Z", "seconds_since_detection": 2.88797}, {"stage": "first_publication", "at": "2026-11-30T05:47:32.276991Z", "seconds_since_detection": 2.953749}, {"stage": "verified", "at": "2026-11-30T05:47:33.940219Z", "seconds_since_detection": 4.616977}, {"stage": "drafted", "at": "2026-11-30T05:47:34.046322Z", "seconds_since_detection": 4.72308}, {"stage": "approved", "at": "2026-11-30T05:47:35.639730Z", "seconds_since_detection": 6.316488}, {"stage": "evaluated", "at": "2026-11-30T05:47:35.886201Z", "seconds_since_detection": 6.562959}], "deadlines": [{"message_type": "holding_statement", "due_at": "2026-11-30T06:47:29.323242Z", "published_at": "2026-11-30T05:47:32.274094Z"}, {"message_type": "press_release", "due_at": "2026-11-30T09:47:29.323242Z", "published_at": "2026-11-30T05:47:35.721106Z"}, {"message_type": "social_post", "due_at": "2026-11-30T06:47:29.323242Z", "published_at": "2026-11-30T05:47:35.737572Z"}, {"message_type": "situation_report", "due_at": "2026-11-30T06:47:29.323242Z", "published_at": "2026-11-30T05:47:35.759052Z"}], "publications_sent": 8, "publications_failed": 0, "team_gaps": []}');
CREATE TABLE facts (
	id INTEGER NOT NULL, 
	incident_id VARCHAR(36) NOT NULL, 
	item_id VARCHAR(64) NOT NULL, 
	version INTEGER NOT NULL, 
	change VARCHAR(96) NOT NULL, 
	label TEXT NOT NULL, 
	value TEXT, 
	source TEXT, 
	public BOOLEAN NOT NULL, 
	verified_by TEXT NOT NULL, 
	recorded_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (incident_id, item_id, version), 
	UNIQUE (incident_id, item_id, change), 
	FOREIGN KEY(incident_id) REFERENCES incidents (id)
);
INSERT INTO "facts" VALUES(1,'ecde9512-4b56-462a-b04b-e1343732c22a','apa',1,'laporan-awal:luar-biasa','Kejadian','Kerusuhan dan penyanderaan petugas','Media Center PASOPATI',1,'Media Center PASOPATI','2026-11-30 05:47:08.031667');
INSERT INTO "facts" VALUES(2,'ecde9512-4b56-462a-b04b-e1343732c22a','di_mana',1,'laporan-awal:luar-biasa','Lokasi','Lapas Kelas I Makassar','Media Center PASOPATI',1,'Media Center PASOPATI','2026-11-30 05:47:08.031667');
INSERT INTO "facts" VALUES(3,'ecde9512-4b56-462a-b04b-e1343732c22a','kapan',1,'verifikasi:luar-biasa','Waktu','Selasa, 24 November 2026 pukul 01.00 WITA','SDP',1,'Petugas Verifikasi','2026-11-30 05:47:16.301068');
INSERT INTO "facts" VALUES(4,'cc767071-6206-4c99-85fd-ba03a865420f','apa',1,'laporan-awal:sedang','Kejadian','Video viral keributan di ruang kunjungan','Media Center PASOPATI',1,'Media Center PASOPATI','2026-11-30 05:47:19.597103');
INSERT INTO "facts" VALUES(5,'cc767071-6206-4c99-85fd-ba03a865420f','di_mana',1,'laporan-awal:sedang','Lokasi','Rutan Kelas I Jakarta Pusat','Media Center PASOPATI',1,'Media Center PASOPATI','2026-11-30 05:47:19.597103');
INSERT INTO "facts" VALUES(6,'abf2afde-876d-42d7-90ef-c521c961fbe2','apa',1,'laporan-awal:sedang','Kejadian','Tiga tahanan kabur','Media Center PASOPATI',1,'Media Center PASOPATI','2026-11-30 05:47:30.048355');
INSERT INTO "facts" VALUES(7,'abf2afde-876d-42d7-90ef-c521c961fbe2','di_mana',1,'laporan-awal:sedang','Lokasi','Rutan Kelas IIA Jakarta Timur','Media Center PASOPATI',1,'Media Center PASOPATI','2026-11-30 05:47:30.048355');
INSERT INTO "facts" VALUES(8,'abf2afde-876d-42d7-90ef-c521c961fbe2','jumlah_wbp_terlibat',1,'laporan-awal:sedang','Jumlah WBP terlibat','3 orang','Media Center PASOPATI',1,'Media Center PASOPATI','2026-11-30 05:47:30.048355');
INSERT INTO "facts" VALUES(9,'abf2afde-876d-42d7-90ef-c521c961fbe2','kapan',1,'verifikasi:sedang','Waktu','Senin malam','SDP',1,'Kadiv DKI','2026-11-30 05:47:33.932523');
INSERT INTO "facts" VALUES(10,'abf2afde-876d-42d7-90ef-c521c961fbe2','jumlah_wbp_terlibat',2,'koreksi:60807dad-6d51-4696-9129-6297e8aff0d9','Jumlah WBP terlibat','4 orang','Polres',1,'Kadiv DKI','2026-11-30 05:47:37.293198');
INSERT INTO "facts" VALUES(11,'e745022d-4f78-47b6-805d-9c9e14aebdf9','apa',1,'laporan-awal:sedang','Kejadian','Dugaan pungli layanan kunjungan','Media Center PASOPATI',1,'Media Center PASOPATI','2026-11-30 05:47:40.912933');
INSERT INTO "facts" VALUES(12,'e745022d-4f78-47b6-805d-9c9e14aebdf9','di_mana',1,'laporan-awal:sedang','Lokasi','Lapas Kelas I Sukamiskin','Media Center PASOPATI',1,'Media Center PASOPATI','2026-11-30 05:47:40.912933');
CREATE TABLE incidents (
	id VARCHAR(36) NOT NULL, 
	flow_run_id VARCHAR(36), 
	category VARCHAR(64) NOT NULL, 
	severity VARCHAR(16) NOT NULL, 
	unit_id VARCHAR(64) NOT NULL, 
	kanwil_id VARCHAR(64) NOT NULL, 
	summary TEXT NOT NULL, 
	detected_at DATETIME NOT NULL, 
	opened_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	closed_at DATETIME, 
	closed_by TEXT, 
	close_reason TEXT, 
	data JSON NOT NULL, 
	PRIMARY KEY (id)
);
INSERT INTO "incidents" VALUES('ecde9512-4b56-462a-b04b-e1343732c22a','1a9500fa-1886-4cdd-a2da-82c94dc02992','keamanan-ketertiban','luar-biasa','lapas-makassar','kanwil-sulawesi-selatan','Kerusuhan dan penyanderaan petugas','2026-11-30 05:47:07.277003','2026-11-30 05:47:07.277003','2026-11-30 05:47:07.319767',NULL,NULL,NULL,'{"id": "ecde9512-4b56-462a-b04b-e1343732c22a", "flow_run_id": "1a9500fa-1886-4cdd-a2da-82c94dc02992", "category": "keamanan-ketertiban", "category_title": "Keamanan dan Ketertiban (Kamtib)", "severity": "luar-biasa", "unit_id": "lapas-makassar", "unit_name": "Lapas Kelas I Makassar", "unit_type": "lapas", "kanwil_id": "kanwil-sulawesi-selatan", "kanwil_name": "Kantor Wilayah Direktorat Jenderal Pemasyarakatan Sulawesi Selatan", "province": "Sulawesi Selatan", "timezone": "Asia/Makassar", "summary": "Kerusuhan dan penyanderaan petugas", "detected_at": "2026-11-30T05:47:07.277003Z", "opened_at": "2026-11-30T05:47:07.277003Z", "progress_artifact_id": "97c55954-3495-4591-ae87-036045a086da"}');
INSERT INTO "incidents" VALUES('cc767071-6206-4c99-85fd-ba03a865420f','8c29087c-4db6-4782-87da-0e097b5e9269','opini-publik','sedang','rutan-salemba','kanwil-dki-jakarta','Video viral keributan di ruang kunjungan','2026-11-30 05:47:19.059557','2026-11-30 05:47:19.059557','2026-11-30 05:47:19.090850',NULL,NULL,NULL,'{"id": "cc767071-6206-4c99-85fd-ba03a865420f", "flow_run_id": "8c29087c-4db6-4782-87da-0e097b5e9269", "category": "opini-publik", "category_title": "Opini Publik", "severity": "sedang", "unit_id": "rutan-salemba", "unit_name": "Rutan Kelas I Jakarta Pusat", "unit_type": "rutan", "kanwil_id": "kanwil-dki-jakarta", "kanwil_name": "Kantor Wilayah Direktorat Jenderal Pemasyarakatan DKI Jakarta", "province": "DKI Jakarta", "timezone": "Asia/Jakarta", "summary": "Video viral keributan di ruang kunjungan", "detected_at": "2026-11-30T05:47:19.059557Z", "opened_at": "2026-11-30T05:47:19.059557Z", "progress_artifact_id": "2fe96201-9c2a-4fde-b258-4c8081b2e69d"}');
INSERT INTO "incidents" VALUES('abf2afde-876d-42d7-90ef-c521c961fbe2','e3eaed28-0f77-4986-b253-772f36fa3502','keamanan-ketertiban','sedang','rutan-pondok-bambu','kanwil-dki-jakarta','Tiga tahanan kabur','2026-11-30 05:47:29.323242','2026-11-30 05:47:29.323242','2026-11-30 05:47:29.561963',NULL,NULL,NULL,'{"id": "abf2afde-876d-42d7-90ef-c521c961fbe2", "flow_run_id": "e3eaed28-0f77-4986-b253-772f36fa3502", "category": "keamanan-ketertiban", "category_title": "Keamanan dan Ketertiban (Kamtib)", "severity": "sedang", "unit_id": "rutan-pondok-bambu", "unit_name": "Rutan Kelas IIA Jakarta Timur", "unit_type": "rutan", "kanwil_id": "kanwil-dki-jakarta", "kanwil_name": "Kantor Wilayah Direktorat Jenderal Pemasyarakatan DKI Jakarta", "province": "DKI Jakarta", "timezone": "Asia/Jakarta", "summary": "Tiga tahanan kabur", "detected_at": "2026-11-30T05:47:29.323242Z", "opened_at": "2026-11-30T05:47:29.323242Z", "progress_artifact_id": "c21753e7-7c98-4c48-8ca3-05ee684aaab9"}');
INSERT INTO "incidents" VALUES('e745022d-4f78-47b6-805d-9c9e14aebdf9','10643d76-9424-4bd0-ae67-6b2110c8e899','tata-kelola-integritas','sedang','lapas-sukamiskin','kanwil-jawa-barat','Dugaan pungli layanan kunjungan','2026-11-29 23:47:39.437142','2026-11-30 05:47:40.365753','2026-11-30 05:47:40.401172','2026-11-30 05:47:54.708831','Dian Mulyana Kusnadi','latihan selesai','{"id": "e745022d-4f78-47b6-805d-9c9e14aebdf9", "flow_run_id": "10643d76-9424-4bd0-ae67-6b2110c8e899", "category": "tata-kelola-integritas", "category_title": "Tata Kelola dan Integritas", "severity": "sedang", "unit_id": "lapas-sukamiskin", "unit_name": "Lapas Kelas I Sukamiskin", "unit_type": "lapas", "kanwil_id": "kanwil-jawa-barat", "kanwil_name": "Kantor Wilayah Direktorat Jenderal Pemasyarakatan Jawa Barat", "province": "Jawa Barat", "timezone": "Asia/Jakarta", "summary": "Dugaan pungli layanan kunjungan", "detected_at": "2026-11-29T23:47:39.437142Z", "opened_at": "2026-11-30T05:47:40.365753Z", "progress_artifact_id": "74180a95-8ab6-43a6-a676-8c8fef8a391b"}');
INSERT INTO "incidents" VALUES('ed699ba1-2580-4a6b-9620-8402a60e6f59','1514720b-495e-4264-888d-547d2d09371b','keamanan-ketertiban','sedang','lapas-cipinang','kanwil-dki-jakarta','Tiga narapidana kabur dari Lapas Cipinang','2026-11-30 05:47:55.616637','2026-11-30 05:47:55.616721','2026-11-30 05:47:57.468355',NULL,NULL,NULL,'{"id": "ed699ba1-2580-4a6b-9620-8402a60e6f59", "flow_run_id": "1514720b-495e-4264-888d-547d2d09371b", "category": "keamanan-ketertiban", "category_title": "Keamanan dan Ketertiban (Kamtib)", "severity": "sedang", "unit_id": "lapas-cipinang", "unit_name": "Lapas Kelas I Cipinang", "unit_type": "lapas", "kanwil_id": "kanwil-dki-jakarta", "kanwil_name": "Kantor Wilayah Direktorat Jenderal Pemasyarakatan DKI Jakarta", "province": "DKI Jakarta", "timezone": "Asia/Jakarta", "summary": "Tiga narapidana kabur dari Lapas Cipinang", "detected_at": "2026-11-30T05:47:55.616637Z", "opened_at": "2026-11-30T05:47:55.616721Z", "progress_artifact_id": "ab46a874-1302-47dd-8325-5efd97e7937a"}');
INSERT INTO "incidents" VALUES('05ade90f-b195-4d4d-836d-ff78480eaa9d','801a3d13-e5d7-40a3-a4ca-345b4b48563e','keamanan-ketertiban','sedang','lapas-pangkalpinang','kanwil-kepulauan-bangka-belitung','Tiga narapidana kabur dari Lapas Pangkalpinang dini hari tadi','2026-11-30 05:47:55.706816','2026-11-30 05:47:55.706948','2026-11-30 05:47:57.685246',NULL,NULL,NULL,'{"id": "05ade90f-b195-4d4d-836d-ff78480eaa9d", "flow_run_id": "801a3d13-e5d7-40a3-a4ca-345b4b48563e", "category": "keamanan-ketertiban", "category_title": "Keamanan dan Ketertiban (Kamtib)", "severity": "sedang", "unit_id": "lapas-pangkalpinang", "unit_name": "Lapas Kelas IIA Pangkalpinang", "unit_type": "lapas", "kanwil_id": "kanwil-kepulauan-bangka-belitung", "kanwil_name": "Kantor Wilayah Direktorat Jenderal Pemasyarakatan Kepulauan Bangka Belitung", "province": "Kepulauan Bangka Belitung", "timezone": "Asia/Jakarta", "summary": "Tiga narapidana kabur dari Lapas Pangkalpinang dini hari tadi", "detected_at": "2026-11-30T05:47:55.706816Z", "opened_at": "2026-11-30T05:47:55.706948Z", "progress_artifact_id": "ba84e254-4d61-49af-ae39-e50417641a13"}');
INSERT INTO "incidents" VALUES('a0e40868-ad59-4cb4-a1cb-372a544aa03d','8554ea8d-f5f0-493d-8903-9250bdcb0549','keamanan-ketertiban','luar-biasa','lapas-banyuasin','kanwil-sumatera-selatan','Seorang warga binaan Lapas Banyuasin dilaporkan kabur saat kerja bakti','2026-11-30 05:47:55.862881','2026-11-30 05:47:55.862972','2026-11-30 05:47:57.764631',NULL,NULL,NULL,'{"id": "a0e40868-ad59-4cb4-a1cb-372a544aa03d", "flow_run_id": "8554ea8d-f5f0-493d-8903-9250bdcb0549", "category": "keamanan-ketertiban", "category_title": "Keamanan dan Ketertiban (Kamtib)", "severity": "luar-biasa", "unit_id": "lapas-banyuasin", "unit_name": "Lapas Kelas IIA Banyuasin", "unit_type": "lapas", "kanwil_id": "kanwil-sumatera-selatan", "kanwil_name": "Kantor Wilayah Direktorat Jenderal Pemasyarakatan Sumatera Selatan", "province": "Sumatera Selatan", "timezone": "Asia/Jakarta", "summary": "Seorang warga binaan Lapas Banyuasin dilaporkan kabur saat kerja bakti", "detected_at": "2026-11-30T05:47:55.862881Z", "opened_at": "2026-11-30T05:47:55.862972Z", "progress_artifact_id": "e829cba3-81ce-403e-b3bd-703cc63c0027"}');
INSERT INTO "incidents" VALUES('75177930-864d-4c4b-9bac-f40b3d99420a','1a3763d8-0065-4a7d-8fee-dac3c5e86517','keamanan-ketertiban','luar-biasa','lapas-nabire','kanwil-papua-tengah','Kerusuhan pecah di Lapas Nabire, dua warga binaan tewas','2026-11-30 05:47:59.879138','2026-11-30 05:47:59.879334','2026-11-30 05:48:00.776579',NULL,NULL,NULL,'{"id": "75177930-864d-4c4b-9bac-f40b3d99420a", "flow_run_id": "1a3763d8-0065-4a7d-8fee-dac3c5e86517", "category": "keamanan-ketertiban", "category_title": "Keamanan dan Ketertiban (Kamtib)", "severity": "luar-biasa", "unit_id": "lapas-nabire", "unit_name": "Lapas Kelas IIB Nabire", "unit_type": "lapas", "kanwil_id": "kanwil-papua-tengah", "kanwil_name": "Kantor Wilayah Direktorat Jenderal Pemasyarakatan Papua Tengah", "province": "Papua Tengah", "timezone": "Asia/Jayapura", "summary": "Kerusuhan pecah di Lapas Nabire, dua warga binaan tewas", "detected_at": "2026-11-30T05:47:59.879138Z", "opened_at": "2026-11-30T05:47:59.879334Z", "progress_artifact_id": "8f81a2d4-02cb-4d0b-8cc8-e251de562019"}');
CREATE TABLE notifications (
	id INTEGER NOT NULL, 
	incident_id VARCHAR(36) NOT NULL, 
	"key" VARCHAR(128) NOT NULL, 
	person TEXT NOT NULL, 
	role VARCHAR(64) NOT NULL, 
	contact TEXT NOT NULL, 
	title TEXT NOT NULL, 
	ok BOOLEAN NOT NULL, 
	error TEXT, 
	sent_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (incident_id, "key", person), 
	FOREIGN KEY(incident_id) REFERENCES incidents (id)
);
INSERT INTO "notifications" VALUES(1,'ecde9512-4b56-462a-b04b-e1343732c22a','tim:luar-biasa','Sutan Mahendra Harahap','pimpinan-kementerian','mailto://127.0.0.1:38221/menteri%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (luar-biasa) di Lapas Kelas I Makassar',1,NULL,'2026-11-30 05:47:07.632225');
INSERT INTO "notifications" VALUES(2,'ecde9512-4b56-462a-b04b-e1343732c22a','tim:luar-biasa','Kartika Dyah Pramesti','pimpinan-kementerian','mailto://127.0.0.1:38221/wamen%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (luar-biasa) di Lapas Kelas I Makassar',1,NULL,'2026-11-30 05:47:07.665853');
INSERT INTO "notifications" VALUES(3,'ecde9512-4b56-462a-b04b-e1343732c22a','tim:luar-biasa','Haryo Seno Adiwijaya','dirjen','mailto://127.0.0.1:38221/dirjen%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (luar-biasa) di Lapas Kelas I Makassar',1,NULL,'2026-11-30 05:47:07.698300');
INSERT INTO "notifications" VALUES(4,'ecde9512-4b56-462a-b04b-e1343732c22a','tim:luar-biasa','Ratih Kusumawardhani','kabag-humas','mailto://127.0.0.1:38221/kabag.humas%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (luar-biasa) di Lapas Kelas I Makassar',1,NULL,'2026-11-30 05:47:07.733484');
INSERT INTO "notifications" VALUES(5,'ecde9512-4b56-462a-b04b-e1343732c22a','tim:luar-biasa','Galih Prakoso Aji','operator-media-center','mailto://127.0.0.1:38221/mediacenter%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (luar-biasa) di Lapas Kelas I Makassar',1,NULL,'2026-11-30 05:47:07.764657');
INSERT INTO "notifications" VALUES(6,'ecde9512-4b56-462a-b04b-e1343732c22a','tim:luar-biasa','Muhammad Arsyad Pallawa','kakanwil','mailto://127.0.0.1:38221/kakanwil.kanwil-sulsel%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (luar-biasa) di Lapas Kelas I Makassar',1,NULL,'2026-11-30 05:47:07.799127');
INSERT INTO "notifications" VALUES(7,'ecde9512-4b56-462a-b04b-e1343732c22a','tim:luar-biasa','Andi Nurfadillah Rasyid','humas-kanwil','mailto://127.0.0.1:38221/humas.kanwil-sulsel%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (luar-biasa) di Lapas Kelas I Makassar',1,NULL,'2026-11-30 05:47:07.831023');
INSERT INTO "notifications" VALUES(8,'ecde9512-4b56-462a-b04b-e1343732c22a','tim:luar-biasa','Syamsul Bahri Lantara','kadiv-pemasyarakatan','mailto://127.0.0.1:38221/kadivpas.kanwil-sulsel%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (luar-biasa) di Lapas Kelas I Makassar',1,NULL,'2026-11-30 05:47:07.866055');
INSERT INTO "notifications" VALUES(9,'ecde9512-4b56-462a-b04b-e1343732c22a','tim:luar-biasa','Andi Muhammad Ridwan Tajuddin','kepala-upt','mailto://127.0.0.1:38221/kalapas.makassar%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (luar-biasa) di Lapas Kelas I Makassar',1,NULL,'2026-11-30 05:47:07.904491');
INSERT INTO "notifications" VALUES(10,'ecde9512-4b56-462a-b04b-e1343732c22a','tim:luar-biasa','Nurhaedah Syamsuddin','humas-upt','mailto://127.0.0.1:38221/humas.makassar%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (luar-biasa) di Lapas Kelas I Makassar',1,NULL,'2026-11-30 05:47:07.954221');
INSERT INTO "notifications" VALUES(11,'ecde9512-4b56-462a-b04b-e1343732c22a','tim:luar-biasa','Irwan Daeng Ngalle','kepala-kpr','mailto://127.0.0.1:38221/kplp.makassar%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (luar-biasa) di Lapas Kelas I Makassar',1,NULL,'2026-11-30 05:47:07.987118');
INSERT INTO "notifications" VALUES(12,'ecde9512-4b56-462a-b04b-e1343732c22a','tim:luar-biasa','dr. Haerul Amri Latief','petugas-kesehatan','mailto://127.0.0.1:38221/klinik.makassar%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (luar-biasa) di Lapas Kelas I Makassar',1,NULL,'2026-11-30 05:47:08.019675');
INSERT INTO "notifications" VALUES(13,'cc767071-6206-4c99-85fd-ba03a865420f','tim:sedang','Tri Laksono Adinegoro','kakanwil','mailto://127.0.0.1:38221/kakanwil.kanwil-dki%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Opini Publik (sedang) di Rutan Kelas I Jakarta Pusat',1,NULL,'2026-11-30 05:47:19.350200');
INSERT INTO "notifications" VALUES(14,'cc767071-6206-4c99-85fd-ba03a865420f','tim:sedang','Melati Sekar Ayu','humas-kanwil','mailto://127.0.0.1:38221/humas.kanwil-dki%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Opini Publik (sedang) di Rutan Kelas I Jakarta Pusat',1,NULL,'2026-11-30 05:47:19.387128');
INSERT INTO "notifications" VALUES(15,'cc767071-6206-4c99-85fd-ba03a865420f','tim:sedang','Gunawan Prasetyo Utomo','kadiv-pemasyarakatan','mailto://127.0.0.1:38221/kadivpas.kanwil-dki%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Opini Publik (sedang) di Rutan Kelas I Jakarta Pusat',1,NULL,'2026-11-30 05:47:19.418346');
INSERT INTO "notifications" VALUES(16,'cc767071-6206-4c99-85fd-ba03a865420f','tim:sedang','Hendra Kurniawan Saputro','kepala-upt','mailto://127.0.0.1:38221/karutan.salemba%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Opini Publik (sedang) di Rutan Kelas I Jakarta Pusat',1,NULL,'2026-11-30 05:47:19.452556');
INSERT INTO "notifications" VALUES(17,'cc767071-6206-4c99-85fd-ba03a865420f','tim:sedang','Dewi Anggraini Putri','humas-upt','mailto://127.0.0.1:38221/humas.salemba%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Opini Publik (sedang) di Rutan Kelas I Jakarta Pusat',1,NULL,'2026-11-30 05:47:19.486623');
INSERT INTO "notifications" VALUES(18,'cc767071-6206-4c99-85fd-ba03a865420f','tim:sedang','Fajar Ramadhan Siregar','kepala-kpr','mailto://127.0.0.1:38221/kpr.salemba%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Opini Publik (sedang) di Rutan Kelas I Jakarta Pusat',1,NULL,'2026-11-30 05:47:19.518709');
INSERT INTO "notifications" VALUES(19,'cc767071-6206-4c99-85fd-ba03a865420f','tim:sedang','Galih Prakoso Aji','operator-media-center','mailto://127.0.0.1:38221/mediacenter%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Opini Publik (sedang) di Rutan Kelas I Jakarta Pusat',1,NULL,'2026-11-30 05:47:19.549445');
INSERT INTO "notifications" VALUES(20,'cc767071-6206-4c99-85fd-ba03a865420f','tim:sedang','Ratih Kusumawardhani','kabag-humas','mailto://127.0.0.1:38221/kabag.humas%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Opini Publik (sedang) di Rutan Kelas I Jakarta Pusat',1,NULL,'2026-11-30 05:47:19.584641');
INSERT INTO "notifications" VALUES(21,'abf2afde-876d-42d7-90ef-c521c961fbe2','tim:sedang','Tri Laksono Adinegoro','kakanwil','mailto://127.0.0.1:38221/kakanwil.kanwil-dki%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (sedang) di Rutan Kelas IIA Jakarta Timur',1,NULL,'2026-11-30 05:47:29.807082');
INSERT INTO "notifications" VALUES(22,'abf2afde-876d-42d7-90ef-c521c961fbe2','tim:sedang','Melati Sekar Ayu','humas-kanwil','mailto://127.0.0.1:38221/humas.kanwil-dki%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (sedang) di Rutan Kelas IIA Jakarta Timur',1,NULL,'2026-11-30 05:47:29.864435');
INSERT INTO "notifications" VALUES(23,'abf2afde-876d-42d7-90ef-c521c961fbe2','tim:sedang','Gunawan Prasetyo Utomo','kadiv-pemasyarakatan','mailto://127.0.0.1:38221/kadivpas.kanwil-dki%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (sedang) di Rutan Kelas IIA Jakarta Timur',1,NULL,'2026-11-30 05:47:29.901523');
INSERT INTO "notifications" VALUES(24,'abf2afde-876d-42d7-90ef-c521c961fbe2','tim:sedang','Sri Wahyuni Kusumastuti','kepala-upt','mailto://127.0.0.1:38221/karutan.pondokbambu%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (sedang) di Rutan Kelas IIA Jakarta Timur',1,NULL,'2026-11-30 05:47:29.932992');
INSERT INTO "notifications" VALUES(25,'abf2afde-876d-42d7-90ef-c521c961fbe2','tim:sedang','Nurul Hidayah Rahmawati','humas-upt','mailto://127.0.0.1:38221/humas.pondokbambu%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (sedang) di Rutan Kelas IIA Jakarta Timur',1,NULL,'2026-11-30 05:47:29.964627');
INSERT INTO "notifications" VALUES(26,'abf2afde-876d-42d7-90ef-c521c961fbe2','tim:sedang','Ratna Puspitasari Hamid','kepala-kpr','mailto://127.0.0.1:38221/kpr.pondokbambu%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (sedang) di Rutan Kelas IIA Jakarta Timur',1,NULL,'2026-11-30 05:47:29.999500');
INSERT INTO "notifications" VALUES(27,'abf2afde-876d-42d7-90ef-c521c961fbe2','tim:sedang','Ratih Kusumawardhani','kabag-humas','mailto://127.0.0.1:38221/kabag.humas%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (sedang) di Rutan Kelas IIA Jakarta Timur',1,NULL,'2026-11-30 05:47:30.034982');
INSERT INTO "notifications" VALUES(28,'e745022d-4f78-47b6-805d-9c9e14aebdf9','tim:sedang','Dian Mulyana Kusnadi','kakanwil','mailto://127.0.0.1:38221/kakanwil.kanwil-jabar%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Tata Kelola dan Integritas (sedang) di Lapas Kelas I Sukamiskin',1,NULL,'2026-11-30 05:47:40.673636');
INSERT INTO "notifications" VALUES(29,'e745022d-4f78-47b6-805d-9c9e14aebdf9','tim:sedang','Sinta Rahayu Kurniasih','humas-kanwil','mailto://127.0.0.1:38221/humas.kanwil-jabar%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Tata Kelola dan Integritas (sedang) di Lapas Kelas I Sukamiskin',1,NULL,'2026-11-30 05:47:40.707622');
INSERT INTO "notifications" VALUES(30,'e745022d-4f78-47b6-805d-9c9e14aebdf9','tim:sedang','Wawan Gunawan Suherman','kadiv-pemasyarakatan','mailto://127.0.0.1:38221/kadivpas.kanwil-jabar%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Tata Kelola dan Integritas (sedang) di Lapas Kelas I Sukamiskin',1,NULL,'2026-11-30 05:47:40.740358');
INSERT INTO "notifications" VALUES(31,'e745022d-4f78-47b6-805d-9c9e14aebdf9','tim:sedang','Asep Suryana Permana','kepala-upt','mailto://127.0.0.1:38221/kalapas.sukamiskin%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Tata Kelola dan Integritas (sedang) di Lapas Kelas I Sukamiskin',1,NULL,'2026-11-30 05:47:40.776842');
INSERT INTO "notifications" VALUES(32,'e745022d-4f78-47b6-805d-9c9e14aebdf9','tim:sedang','Neneng Sulastri','humas-upt','mailto://127.0.0.1:38221/humas.sukamiskin%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Tata Kelola dan Integritas (sedang) di Lapas Kelas I Sukamiskin',1,NULL,'2026-11-30 05:47:40.821293');
INSERT INTO "notifications" VALUES(33,'e745022d-4f78-47b6-805d-9c9e14aebdf9','tim:sedang','Rahmadi Sudarsono','inspektur-jenderal','mailto://127.0.0.1:38221/irjen%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Tata Kelola dan Integritas (sedang) di Lapas Kelas I Sukamiskin',1,NULL,'2026-11-30 05:47:40.856796');
INSERT INTO "notifications" VALUES(34,'e745022d-4f78-47b6-805d-9c9e14aebdf9','tim:sedang','Ratih Kusumawardhani','kabag-humas','mailto://127.0.0.1:38221/kabag.humas%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Tata Kelola dan Integritas (sedang) di Lapas Kelas I Sukamiskin',1,NULL,'2026-11-30 05:47:40.898410');
INSERT INTO "notifications" VALUES(35,'e745022d-4f78-47b6-805d-9c9e14aebdf9','eskalasi:sedang:persetujuan-awal','Haryo Seno Adiwijaya','dirjen','mailto://127.0.0.1:38221/dirjen%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Tenggat terlewati: persetujuan-awal — Lapas Kelas I Sukamiskin (sedang)',1,NULL,'2026-11-30 05:47:42.522180');
INSERT INTO "notifications" VALUES(36,'e745022d-4f78-47b6-805d-9c9e14aebdf9','eskalasi:sedang:persetujuan-awal','Dian Mulyana Kusnadi','kakanwil','mailto://127.0.0.1:38221/kakanwil.kanwil-jabar%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Tenggat terlewati: persetujuan-awal — Lapas Kelas I Sukamiskin (sedang)',1,NULL,'2026-11-30 05:47:42.525000');
INSERT INTO "notifications" VALUES(37,'e745022d-4f78-47b6-805d-9c9e14aebdf9','eskalasi:sedang:persetujuan-awal','Sinta Rahayu Kurniasih','humas-kanwil','mailto://127.0.0.1:38221/humas.kanwil-jabar%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Tenggat terlewati: persetujuan-awal — Lapas Kelas I Sukamiskin (sedang)',1,NULL,'2026-11-30 05:47:42.525934');
INSERT INTO "notifications" VALUES(38,'e745022d-4f78-47b6-805d-9c9e14aebdf9','eskalasi:sedang:persetujuan-awal','Wawan Gunawan Suherman','kadiv-pemasyarakatan','mailto://127.0.0.1:38221/kadivpas.kanwil-jabar%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Tenggat terlewati: persetujuan-awal — Lapas Kelas I Sukamiskin (sedang)',1,NULL,'2026-11-30 05:47:42.526726');
INSERT INTO "notifications" VALUES(39,'e745022d-4f78-47b6-805d-9c9e14aebdf9','eskalasi:sedang:persetujuan-awal','Asep Suryana Permana','kepala-upt','mailto://127.0.0.1:38221/kalapas.sukamiskin%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Tenggat terlewati: persetujuan-awal — Lapas Kelas I Sukamiskin (sedang)',1,NULL,'2026-11-30 05:47:42.527512');
INSERT INTO "notifications" VALUES(40,'e745022d-4f78-47b6-805d-9c9e14aebdf9','eskalasi:sedang:persetujuan-awal','Neneng Sulastri','humas-upt','mailto://127.0.0.1:38221/humas.sukamiskin%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Tenggat terlewati: persetujuan-awal — Lapas Kelas I Sukamiskin (sedang)',1,NULL,'2026-11-30 05:47:42.528325');
INSERT INTO "notifications" VALUES(41,'e745022d-4f78-47b6-805d-9c9e14aebdf9','pengingat:2026-11-29T23:47:39.437142+00:00','Dian Mulyana Kusnadi','kakanwil','mailto://127.0.0.1:38221/kakanwil.kanwil-jabar%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Pembaruan informasi jatuh tempo — Lapas Kelas I Sukamiskin',1,NULL,'2026-11-30 05:47:42.644938');
INSERT INTO "notifications" VALUES(42,'e745022d-4f78-47b6-805d-9c9e14aebdf9','pengingat:2026-11-29T23:47:39.437142+00:00','Sinta Rahayu Kurniasih','humas-kanwil','mailto://127.0.0.1:38221/humas.kanwil-jabar%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Pembaruan informasi jatuh tempo — Lapas Kelas I Sukamiskin',1,NULL,'2026-11-30 05:47:42.646960');
INSERT INTO "notifications" VALUES(43,'e745022d-4f78-47b6-805d-9c9e14aebdf9','pengingat:2026-11-29T23:47:39.437142+00:00','Wawan Gunawan Suherman','kadiv-pemasyarakatan','mailto://127.0.0.1:38221/kadivpas.kanwil-jabar%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Pembaruan informasi jatuh tempo — Lapas Kelas I Sukamiskin',1,NULL,'2026-11-30 05:47:42.648490');
INSERT INTO "notifications" VALUES(44,'e745022d-4f78-47b6-805d-9c9e14aebdf9','pengingat:2026-11-29T23:47:39.437142+00:00','Asep Suryana Permana','kepala-upt','mailto://127.0.0.1:38221/kalapas.sukamiskin%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Pembaruan informasi jatuh tempo — Lapas Kelas I Sukamiskin',1,NULL,'2026-11-30 05:47:42.649896');
INSERT INTO "notifications" VALUES(45,'e745022d-4f78-47b6-805d-9c9e14aebdf9','pengingat:2026-11-29T23:47:39.437142+00:00','Neneng Sulastri','humas-upt','mailto://127.0.0.1:38221/humas.sukamiskin%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Pembaruan informasi jatuh tempo — Lapas Kelas I Sukamiskin',1,NULL,'2026-11-30 05:47:42.651096');
INSERT INTO "notifications" VALUES(46,'ecde9512-4b56-462a-b04b-e1343732c22a','deputi:Sutan Mahendra Harahap','Bonifasius Lumban Tobing','sekjen','mailto://127.0.0.1:38221/sekjen%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Eskalasi TKK: Menteri / Wakil Menteri belum mengonfirmasi — Lapas Kelas I Makassar',1,NULL,'2026-11-30 05:47:52.017696');
INSERT INTO "notifications" VALUES(47,'ecde9512-4b56-462a-b04b-e1343732c22a','deputi:Kartika Dyah Pramesti','Bonifasius Lumban Tobing','sekjen','mailto://127.0.0.1:38221/sekjen%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Eskalasi TKK: Menteri / Wakil Menteri belum mengonfirmasi — Lapas Kelas I Makassar',1,NULL,'2026-11-30 05:47:52.058628');
INSERT INTO "notifications" VALUES(48,'ecde9512-4b56-462a-b04b-e1343732c22a','deputi:Haryo Seno Adiwijaya','Ratna Kusumawardhani','sesditjen','mailto://127.0.0.1:38221/sesditjen%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Eskalasi TKK: Direktur Jenderal Pemasyarakatan belum mengonfirmasi — Lapas Kelas I Makassar',1,NULL,'2026-11-30 05:47:52.107369');
INSERT INTO "notifications" VALUES(49,'ecde9512-4b56-462a-b04b-e1343732c22a','deputi:Ratih Kusumawardhani','Ratna Kusumawardhani','sesditjen','mailto://127.0.0.1:38221/sesditjen%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Eskalasi TKK: Kepala Bagian Humas dan Protokol Ditjenpas belum mengonfirmasi — Lapas Kelas I Makassar',1,NULL,'2026-11-30 05:47:52.158774');
INSERT INTO "notifications" VALUES(50,'ecde9512-4b56-462a-b04b-e1343732c22a','deputi:Galih Prakoso Aji','Ratih Kusumawardhani','kabag-humas','mailto://127.0.0.1:38221/kabag.humas%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Eskalasi TKK: Operator Media Center PASOPATI belum mengonfirmasi — Lapas Kelas I Makassar',1,NULL,'2026-11-30 05:47:52.196226');
INSERT INTO "notifications" VALUES(51,'ecde9512-4b56-462a-b04b-e1343732c22a','deputi:Muhammad Arsyad Pallawa','Syamsul Bahri Lantara','kadiv-pemasyarakatan','mailto://127.0.0.1:38221/kadivpas.kanwil-sulsel%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Eskalasi TKK: Kepala Kantor Wilayah Ditjenpas belum mengonfirmasi — Lapas Kelas I Makassar',1,NULL,'2026-11-30 05:47:52.235055');
INSERT INTO "notifications" VALUES(52,'ecde9512-4b56-462a-b04b-e1343732c22a','deputi:Andi Nurfadillah Rasyid','Syamsul Bahri Lantara','kadiv-pemasyarakatan','mailto://127.0.0.1:38221/kadivpas.kanwil-sulsel%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Eskalasi TKK: Petugas Humas Kanwil belum mengonfirmasi — Lapas Kelas I Makassar',1,NULL,'2026-11-30 05:47:52.270260');
INSERT INTO "notifications" VALUES(53,'ecde9512-4b56-462a-b04b-e1343732c22a','deputi:Syamsul Bahri Lantara','Muhammad Arsyad Pallawa','kakanwil','mailto://127.0.0.1:38221/kakanwil.kanwil-sulsel%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Eskalasi TKK: Kepala Divisi Pemasyarakatan belum mengonfirmasi — Lapas Kelas I Makassar',1,NULL,'2026-11-30 05:47:52.307869');
INSERT INTO "notifications" VALUES(54,'ecde9512-4b56-462a-b04b-e1343732c22a','deputi:Andi Muhammad Ridwan Tajuddin','Irwan Daeng Ngalle','kepala-kpr','mailto://127.0.0.1:38221/kplp.makassar%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Eskalasi TKK: Kepala UPT (Kalapas/Karutan/Kepala LPKA) belum mengonfirmasi — Lapas Kelas I Makassar',1,NULL,'2026-11-30 05:47:52.345952');
INSERT INTO "notifications" VALUES(55,'ecde9512-4b56-462a-b04b-e1343732c22a','deputi:Nurhaedah Syamsuddin','Andi Muhammad Ridwan Tajuddin','kepala-upt','mailto://127.0.0.1:38221/kalapas.makassar%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Eskalasi TKK: Petugas Humas UPT belum mengonfirmasi — Lapas Kelas I Makassar',1,NULL,'2026-11-30 05:47:52.382723');
INSERT INTO "notifications" VALUES(56,'ecde9512-4b56-462a-b04b-e1343732c22a','deputi:Irwan Daeng Ngalle','Andi Muhammad Ridwan Tajuddin','kepala-upt','mailto://127.0.0.1:38221/kalapas.makassar%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Eskalasi TKK: Kepala Kesatuan Pengamanan (KPLP/KPR) belum mengonfirmasi — Lapas Kelas I Makassar',1,NULL,'2026-11-30 05:47:52.420535');
INSERT INTO "notifications" VALUES(57,'ecde9512-4b56-462a-b04b-e1343732c22a','deputi:dr. Haerul Amri Latief','Andi Muhammad Ridwan Tajuddin','kepala-upt','mailto://127.0.0.1:38221/kalapas.makassar%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Eskalasi TKK: Kepala Klinik / Petugas Kesehatan UPT belum mengonfirmasi — Lapas Kelas I Makassar',1,NULL,'2026-11-30 05:47:52.455847');
INSERT INTO "notifications" VALUES(58,'cc767071-6206-4c99-85fd-ba03a865420f','deputi:Tri Laksono Adinegoro','Gunawan Prasetyo Utomo','kadiv-pemasyarakatan','mailto://127.0.0.1:38221/kadivpas.kanwil-dki%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Eskalasi TKK: Kepala Kantor Wilayah Ditjenpas belum mengonfirmasi — Rutan Kelas I Jakarta Pusat',1,NULL,'2026-11-30 05:47:52.496307');
INSERT INTO "notifications" VALUES(59,'cc767071-6206-4c99-85fd-ba03a865420f','deputi:Melati Sekar Ayu','Gunawan Prasetyo Utomo','kadiv-pemasyarakatan','mailto://127.0.0.1:38221/kadivpas.kanwil-dki%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Eskalasi TKK: Petugas Humas Kanwil belum mengonfirmasi — Rutan Kelas I Jakarta Pusat',1,NULL,'2026-11-30 05:47:52.532004');
INSERT INTO "notifications" VALUES(60,'cc767071-6206-4c99-85fd-ba03a865420f','deputi:Gunawan Prasetyo Utomo','Tri Laksono Adinegoro','kakanwil','mailto://127.0.0.1:38221/kakanwil.kanwil-dki%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Eskalasi TKK: Kepala Divisi Pemasyarakatan belum mengonfirmasi — Rutan Kelas I Jakarta Pusat',1,NULL,'2026-11-30 05:47:52.564407');
INSERT INTO "notifications" VALUES(61,'cc767071-6206-4c99-85fd-ba03a865420f','deputi:Hendra Kurniawan Saputro','Fajar Ramadhan Siregar','kepala-kpr','mailto://127.0.0.1:38221/kpr.salemba%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Eskalasi TKK: Kepala UPT (Kalapas/Karutan/Kepala LPKA) belum mengonfirmasi — Rutan Kelas I Jakarta Pusat',1,NULL,'2026-11-30 05:47:52.599066');
INSERT INTO "notifications" VALUES(62,'cc767071-6206-4c99-85fd-ba03a865420f','deputi:Dewi Anggraini Putri','Hendra Kurniawan Saputro','kepala-upt','mailto://127.0.0.1:38221/karutan.salemba%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Eskalasi TKK: Petugas Humas UPT belum mengonfirmasi — Rutan Kelas I Jakarta Pusat',1,NULL,'2026-11-30 05:47:52.635104');
INSERT INTO "notifications" VALUES(63,'cc767071-6206-4c99-85fd-ba03a865420f','deputi:Fajar Ramadhan Siregar','Hendra Kurniawan Saputro','kepala-upt','mailto://127.0.0.1:38221/karutan.salemba%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Eskalasi TKK: Kepala Kesatuan Pengamanan (KPLP/KPR) belum mengonfirmasi — Rutan Kelas I Jakarta Pusat',1,NULL,'2026-11-30 05:47:52.671573');
INSERT INTO "notifications" VALUES(64,'cc767071-6206-4c99-85fd-ba03a865420f','deputi:Galih Prakoso Aji','Ratih Kusumawardhani','kabag-humas','mailto://127.0.0.1:38221/kabag.humas%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Eskalasi TKK: Operator Media Center PASOPATI belum mengonfirmasi — Rutan Kelas I Jakarta Pusat',1,NULL,'2026-11-30 05:47:52.713706');
INSERT INTO "notifications" VALUES(65,'abf2afde-876d-42d7-90ef-c521c961fbe2','deputi:Tri Laksono Adinegoro','Gunawan Prasetyo Utomo','kadiv-pemasyarakatan','mailto://127.0.0.1:38221/kadivpas.kanwil-dki%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Eskalasi TKK: Kepala Kantor Wilayah Ditjenpas belum mengonfirmasi — Rutan Kelas IIA Jakarta Timur',1,NULL,'2026-11-30 05:47:52.762613');
INSERT INTO "notifications" VALUES(66,'abf2afde-876d-42d7-90ef-c521c961fbe2','deputi:Melati Sekar Ayu','Gunawan Prasetyo Utomo','kadiv-pemasyarakatan','mailto://127.0.0.1:38221/kadivpas.kanwil-dki%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Eskalasi TKK: Petugas Humas Kanwil belum mengonfirmasi — Rutan Kelas IIA Jakarta Timur',1,NULL,'2026-11-30 05:47:52.797787');
INSERT INTO "notifications" VALUES(67,'abf2afde-876d-42d7-90ef-c521c961fbe2','deputi:Gunawan Prasetyo Utomo','Tri Laksono Adinegoro','kakanwil','mailto://127.0.0.1:38221/kakanwil.kanwil-dki%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Eskalasi TKK: Kepala Divisi Pemasyarakatan belum mengonfirmasi — Rutan Kelas IIA Jakarta Timur',1,NULL,'2026-11-30 05:47:52.831907');
INSERT INTO "notifications" VALUES(68,'abf2afde-876d-42d7-90ef-c521c961fbe2','deputi:Sri Wahyuni Kusumastuti','Ratna Puspitasari Hamid','kepala-kpr','mailto://127.0.0.1:38221/kpr.pondokbambu%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Eskalasi TKK: Kepala UPT (Kalapas/Karutan/Kepala LPKA) belum mengonfirmasi — Rutan Kelas IIA Jakarta Timur',1,NULL,'2026-11-30 05:47:52.869435');
INSERT INTO "notifications" VALUES(69,'abf2afde-876d-42d7-90ef-c521c961fbe2','deputi:Nurul Hidayah Rahmawati','Sri Wahyuni Kusumastuti','kepala-upt','mailto://127.0.0.1:38221/karutan.pondokbambu%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Eskalasi TKK: Petugas Humas UPT belum mengonfirmasi — Rutan Kelas IIA Jakarta Timur',1,NULL,'2026-11-30 05:47:52.906571');
INSERT INTO "notifications" VALUES(70,'abf2afde-876d-42d7-90ef-c521c961fbe2','deputi:Ratna Puspitasari Hamid','Sri Wahyuni Kusumastuti','kepala-upt','mailto://127.0.0.1:38221/karutan.pondokbambu%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Eskalasi TKK: Kepala Kesatuan Pengamanan (KPLP/KPR) belum mengonfirmasi — Rutan Kelas IIA Jakarta Timur',1,NULL,'2026-11-30 05:47:52.942779');
INSERT INTO "notifications" VALUES(71,'e745022d-4f78-47b6-805d-9c9e14aebdf9','deputi:Wawan Gunawan Suherman','Dian Mulyana Kusnadi','kakanwil','mailto://127.0.0.1:38221/kakanwil.kanwil-jabar%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Eskalasi TKK: Kepala Divisi Pemasyarakatan belum mengonfirmasi — Lapas Kelas I Sukamiskin',1,NULL,'2026-11-30 05:47:52.987660');
INSERT INTO "notifications" VALUES(72,'e745022d-4f78-47b6-805d-9c9e14aebdf9','deputi:Asep Suryana Permana','Dadang Hermawan Saleh','kepala-kpr','mailto://127.0.0.1:38221/kplp.sukamiskin%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Eskalasi TKK: Kepala UPT (Kalapas/Karutan/Kepala LPKA) belum mengonfirmasi — Lapas Kelas I Sukamiskin',1,NULL,'2026-11-30 05:47:53.022502');
INSERT INTO "notifications" VALUES(73,'e745022d-4f78-47b6-805d-9c9e14aebdf9','deputi:Neneng Sulastri','Asep Suryana Permana','kepala-upt','mailto://127.0.0.1:38221/kalapas.sukamiskin%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Eskalasi TKK: Petugas Humas UPT belum mengonfirmasi — Lapas Kelas I Sukamiskin',1,NULL,'2026-11-30 05:47:53.060814');
INSERT INTO "notifications" VALUES(74,'ecde9512-4b56-462a-b04b-e1343732c22a','pengingat:2026-11-30T05:47:13.748482+00:00','Sutan Mahendra Harahap','pimpinan-kementerian','mailto://127.0.0.1:38221/menteri%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Pembaruan informasi jatuh tempo — Lapas Kelas I Makassar',1,NULL,'2026-11-30 05:47:55.152676');
INSERT INTO "notifications" VALUES(75,'ecde9512-4b56-462a-b04b-e1343732c22a','pengingat:2026-11-30T05:47:13.748482+00:00','Kartika Dyah Pramesti','pimpinan-kementerian','mailto://127.0.0.1:38221/wamen%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Pembaruan informasi jatuh tempo — Lapas Kelas I Makassar',1,NULL,'2026-11-30 05:47:55.153756');
INSERT INTO "notifications" VALUES(76,'ecde9512-4b56-462a-b04b-e1343732c22a','pengingat:2026-11-30T05:47:13.748482+00:00','Haryo Seno Adiwijaya','dirjen','mailto://127.0.0.1:38221/dirjen%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Pembaruan informasi jatuh tempo — Lapas Kelas I Makassar',1,NULL,'2026-11-30 05:47:55.154463');
INSERT INTO "notifications" VALUES(77,'ecde9512-4b56-462a-b04b-e1343732c22a','pengingat:2026-11-30T05:47:13.748482+00:00','Ratih Kusumawardhani','kabag-humas','mailto://127.0.0.1:38221/kabag.humas%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Pembaruan informasi jatuh tempo — Lapas Kelas I Makassar',1,NULL,'2026-11-30 05:47:55.155132');
INSERT INTO "notifications" VALUES(78,'ecde9512-4b56-462a-b04b-e1343732c22a','pengingat:2026-11-30T05:47:13.748482+00:00','Galih Prakoso Aji','operator-media-center','mailto://127.0.0.1:38221/mediacenter%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Pembaruan informasi jatuh tempo — Lapas Kelas I Makassar',1,NULL,'2026-11-30 05:47:55.155776');
INSERT INTO "notifications" VALUES(79,'ecde9512-4b56-462a-b04b-e1343732c22a','pengingat:2026-11-30T05:47:13.748482+00:00','Muhammad Arsyad Pallawa','kakanwil','mailto://127.0.0.1:38221/kakanwil.kanwil-sulsel%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Pembaruan informasi jatuh tempo — Lapas Kelas I Makassar',1,NULL,'2026-11-30 05:47:55.156535');
INSERT INTO "notifications" VALUES(80,'ecde9512-4b56-462a-b04b-e1343732c22a','pengingat:2026-11-30T05:47:13.748482+00:00','Andi Nurfadillah Rasyid','humas-kanwil','mailto://127.0.0.1:38221/humas.kanwil-sulsel%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Pembaruan informasi jatuh tempo — Lapas Kelas I Makassar',1,NULL,'2026-11-30 05:47:55.157260');
INSERT INTO "notifications" VALUES(81,'ecde9512-4b56-462a-b04b-e1343732c22a','pengingat:2026-11-30T05:47:13.748482+00:00','Syamsul Bahri Lantara','kadiv-pemasyarakatan','mailto://127.0.0.1:38221/kadivpas.kanwil-sulsel%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Pembaruan informasi jatuh tempo — Lapas Kelas I Makassar',1,NULL,'2026-11-30 05:47:55.157896');
INSERT INTO "notifications" VALUES(82,'ecde9512-4b56-462a-b04b-e1343732c22a','pengingat:2026-11-30T05:47:13.748482+00:00','Andi Muhammad Ridwan Tajuddin','kepala-upt','mailto://127.0.0.1:38221/kalapas.makassar%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Pembaruan informasi jatuh tempo — Lapas Kelas I Makassar',1,NULL,'2026-11-30 05:47:55.158585');
INSERT INTO "notifications" VALUES(83,'ecde9512-4b56-462a-b04b-e1343732c22a','pengingat:2026-11-30T05:47:13.748482+00:00','Nurhaedah Syamsuddin','humas-upt','mailto://127.0.0.1:38221/humas.makassar%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Pembaruan informasi jatuh tempo — Lapas Kelas I Makassar',1,NULL,'2026-11-30 05:47:55.159252');
INSERT INTO "notifications" VALUES(84,'ecde9512-4b56-462a-b04b-e1343732c22a','pengingat:2026-11-30T05:47:13.748482+00:00','Irwan Daeng Ngalle','kepala-kpr','mailto://127.0.0.1:38221/kplp.makassar%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Pembaruan informasi jatuh tempo — Lapas Kelas I Makassar',1,NULL,'2026-11-30 05:47:55.159937');
INSERT INTO "notifications" VALUES(85,'ecde9512-4b56-462a-b04b-e1343732c22a','pengingat:2026-11-30T05:47:13.748482+00:00','dr. Haerul Amri Latief','petugas-kesehatan','mailto://127.0.0.1:38221/klinik.makassar%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Pembaruan informasi jatuh tempo — Lapas Kelas I Makassar',1,NULL,'2026-11-30 05:47:55.160638');
INSERT INTO "notifications" VALUES(86,'cc767071-6206-4c99-85fd-ba03a865420f','pengingat:2026-11-30T05:47:24.684309+00:00','Tri Laksono Adinegoro','kakanwil','mailto://127.0.0.1:38221/kakanwil.kanwil-dki%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Pembaruan informasi jatuh tempo — Rutan Kelas I Jakarta Pusat',1,NULL,'2026-11-30 05:47:55.332293');
INSERT INTO "notifications" VALUES(87,'cc767071-6206-4c99-85fd-ba03a865420f','pengingat:2026-11-30T05:47:24.684309+00:00','Melati Sekar Ayu','humas-kanwil','mailto://127.0.0.1:38221/humas.kanwil-dki%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Pembaruan informasi jatuh tempo — Rutan Kelas I Jakarta Pusat',1,NULL,'2026-11-30 05:47:55.333829');
INSERT INTO "notifications" VALUES(88,'cc767071-6206-4c99-85fd-ba03a865420f','pengingat:2026-11-30T05:47:24.684309+00:00','Gunawan Prasetyo Utomo','kadiv-pemasyarakatan','mailto://127.0.0.1:38221/kadivpas.kanwil-dki%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Pembaruan informasi jatuh tempo — Rutan Kelas I Jakarta Pusat',1,NULL,'2026-11-30 05:47:55.335004');
INSERT INTO "notifications" VALUES(89,'cc767071-6206-4c99-85fd-ba03a865420f','pengingat:2026-11-30T05:47:24.684309+00:00','Hendra Kurniawan Saputro','kepala-upt','mailto://127.0.0.1:38221/karutan.salemba%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Pembaruan informasi jatuh tempo — Rutan Kelas I Jakarta Pusat',1,NULL,'2026-11-30 05:47:55.336127');
INSERT INTO "notifications" VALUES(90,'cc767071-6206-4c99-85fd-ba03a865420f','pengingat:2026-11-30T05:47:24.684309+00:00','Dewi Anggraini Putri','humas-upt','mailto://127.0.0.1:38221/humas.salemba%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Pembaruan informasi jatuh tempo — Rutan Kelas I Jakarta Pusat',1,NULL,'2026-11-30 05:47:55.337170');
INSERT INTO "notifications" VALUES(91,'cc767071-6206-4c99-85fd-ba03a865420f','pengingat:2026-11-30T05:47:24.684309+00:00','Fajar Ramadhan Siregar','kepala-kpr','mailto://127.0.0.1:38221/kpr.salemba%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Pembaruan informasi jatuh tempo — Rutan Kelas I Jakarta Pusat',1,NULL,'2026-11-30 05:47:55.338190');
INSERT INTO "notifications" VALUES(92,'cc767071-6206-4c99-85fd-ba03a865420f','pengingat:2026-11-30T05:47:24.684309+00:00','Galih Prakoso Aji','operator-media-center','mailto://127.0.0.1:38221/mediacenter%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Pembaruan informasi jatuh tempo — Rutan Kelas I Jakarta Pusat',1,NULL,'2026-11-30 05:47:55.339346');
INSERT INTO "notifications" VALUES(93,'abf2afde-876d-42d7-90ef-c521c961fbe2','pengingat:2026-11-30T05:47:39.225309+00:00','Tri Laksono Adinegoro','kakanwil','mailto://127.0.0.1:38221/kakanwil.kanwil-dki%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Pembaruan informasi jatuh tempo — Rutan Kelas IIA Jakarta Timur',1,NULL,'2026-11-30 05:47:55.465407');
INSERT INTO "notifications" VALUES(94,'abf2afde-876d-42d7-90ef-c521c961fbe2','pengingat:2026-11-30T05:47:39.225309+00:00','Melati Sekar Ayu','humas-kanwil','mailto://127.0.0.1:38221/humas.kanwil-dki%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Pembaruan informasi jatuh tempo — Rutan Kelas IIA Jakarta Timur',1,NULL,'2026-11-30 05:47:55.466635');
INSERT INTO "notifications" VALUES(95,'abf2afde-876d-42d7-90ef-c521c961fbe2','pengingat:2026-11-30T05:47:39.225309+00:00','Gunawan Prasetyo Utomo','kadiv-pemasyarakatan','mailto://127.0.0.1:38221/kadivpas.kanwil-dki%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Pembaruan informasi jatuh tempo — Rutan Kelas IIA Jakarta Timur',1,NULL,'2026-11-30 05:47:55.467429');
INSERT INTO "notifications" VALUES(96,'abf2afde-876d-42d7-90ef-c521c961fbe2','pengingat:2026-11-30T05:47:39.225309+00:00','Sri Wahyuni Kusumastuti','kepala-upt','mailto://127.0.0.1:38221/karutan.pondokbambu%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Pembaruan informasi jatuh tempo — Rutan Kelas IIA Jakarta Timur',1,NULL,'2026-11-30 05:47:55.468181');
INSERT INTO "notifications" VALUES(97,'abf2afde-876d-42d7-90ef-c521c961fbe2','pengingat:2026-11-30T05:47:39.225309+00:00','Nurul Hidayah Rahmawati','humas-upt','mailto://127.0.0.1:38221/humas.pondokbambu%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Pembaruan informasi jatuh tempo — Rutan Kelas IIA Jakarta Timur',1,NULL,'2026-11-30 05:47:55.469058');
INSERT INTO "notifications" VALUES(98,'abf2afde-876d-42d7-90ef-c521c961fbe2','pengingat:2026-11-30T05:47:39.225309+00:00','Ratna Puspitasari Hamid','kepala-kpr','mailto://127.0.0.1:38221/kpr.pondokbambu%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Pembaruan informasi jatuh tempo — Rutan Kelas IIA Jakarta Timur',1,NULL,'2026-11-30 05:47:55.469921');
INSERT INTO "notifications" VALUES(99,'ed699ba1-2580-4a6b-9620-8402a60e6f59','tim:sedang','Tri Laksono Adinegoro','kakanwil','mailto://127.0.0.1:38221/kakanwil.kanwil-dki%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (sedang) di Lapas Kelas I Cipinang',1,NULL,'2026-11-30 05:47:57.962602');
INSERT INTO "notifications" VALUES(100,'05ade90f-b195-4d4d-836d-ff78480eaa9d','tim:sedang','Rahmat Hidayatullah Sembiring','kakanwil','mailto://127.0.0.1:38221/kakanwil.kanwil-babel%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (sedang) di Lapas Kelas IIA Pangkalpinang',1,NULL,'2026-11-30 05:47:58.223590');
INSERT INTO "notifications" VALUES(101,'ed699ba1-2580-4a6b-9620-8402a60e6f59','tim:sedang','Melati Sekar Ayu','humas-kanwil','mailto://127.0.0.1:38221/humas.kanwil-dki%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (sedang) di Lapas Kelas I Cipinang',1,NULL,'2026-11-30 05:47:58.061957');
INSERT INTO "notifications" VALUES(102,'ed699ba1-2580-4a6b-9620-8402a60e6f59','tim:sedang','Gunawan Prasetyo Utomo','kadiv-pemasyarakatan','mailto://127.0.0.1:38221/kadivpas.kanwil-dki%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (sedang) di Lapas Kelas I Cipinang',1,NULL,'2026-11-30 05:47:58.187419');
INSERT INTO "notifications" VALUES(103,'ed699ba1-2580-4a6b-9620-8402a60e6f59','tim:sedang','Yudhistira Wahyu Pratomo','kepala-upt','mailto://127.0.0.1:38221/kalapas.cipinang%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (sedang) di Lapas Kelas I Cipinang',1,NULL,'2026-11-30 05:47:58.260919');
INSERT INTO "notifications" VALUES(104,'a0e40868-ad59-4cb4-a1cb-372a544aa03d','tim:luar-biasa','Sutan Mahendra Harahap','pimpinan-kementerian','mailto://127.0.0.1:38221/menteri%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (luar-biasa) di Lapas Kelas IIA Banyuasin',1,NULL,'2026-11-30 05:47:58.659059');
INSERT INTO "notifications" VALUES(105,'05ade90f-b195-4d4d-836d-ff78480eaa9d','tim:sedang','Lina Marlina Tjhin','humas-kanwil','mailto://127.0.0.1:38221/humas.kanwil-babel%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (sedang) di Lapas Kelas IIA Pangkalpinang',1,NULL,'2026-11-30 05:47:58.313946');
INSERT INTO "notifications" VALUES(106,'ed699ba1-2580-4a6b-9620-8402a60e6f59','tim:sedang','Rina Oktaviani Lestari','humas-upt','mailto://127.0.0.1:38221/humas.cipinang%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (sedang) di Lapas Kelas I Cipinang',1,NULL,'2026-11-30 05:47:58.338313');
INSERT INTO "notifications" VALUES(107,'05ade90f-b195-4d4d-836d-ff78480eaa9d','tim:sedang','Akhmad Zulkarnain Bakri','kadiv-pemasyarakatan','mailto://127.0.0.1:38221/kadivpas.kanwil-babel%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (sedang) di Lapas Kelas IIA Pangkalpinang',1,NULL,'2026-11-30 05:47:58.389109');
INSERT INTO "notifications" VALUES(108,'ed699ba1-2580-4a6b-9620-8402a60e6f59','tim:sedang','Agung Setyo Nugroho','kepala-kpr','mailto://127.0.0.1:38221/kplp.cipinang%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (sedang) di Lapas Kelas I Cipinang',1,NULL,'2026-11-30 05:47:58.410363');
INSERT INTO "notifications" VALUES(109,'05ade90f-b195-4d4d-836d-ff78480eaa9d','tim:sedang','Ahmad Syarifuddin Rusdi','kepala-upt','mailto://127.0.0.1:38221/kalapas.pangkalpinang%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (sedang) di Lapas Kelas IIA Pangkalpinang',1,NULL,'2026-11-30 05:47:58.462002');
INSERT INTO "notifications" VALUES(110,'ed699ba1-2580-4a6b-9620-8402a60e6f59','tim:sedang','Ratih Kusumawardhani','kabag-humas','mailto://127.0.0.1:38221/kabag.humas%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (sedang) di Lapas Kelas I Cipinang',1,NULL,'2026-11-30 05:47:58.482372');
INSERT INTO "notifications" VALUES(111,'05ade90f-b195-4d4d-836d-ff78480eaa9d','tim:sedang','Yoga Pratama Putra','humas-upt','mailto://127.0.0.1:38221/humas.pangkalpinang%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (sedang) di Lapas Kelas IIA Pangkalpinang',1,NULL,'2026-11-30 05:47:58.602324');
INSERT INTO "notifications" VALUES(112,'05ade90f-b195-4d4d-836d-ff78480eaa9d','tim:sedang','Benny Arifin Sitompul','kepala-kpr','mailto://127.0.0.1:38221/kplp.pangkalpinang%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (sedang) di Lapas Kelas IIA Pangkalpinang',1,NULL,'2026-11-30 05:47:58.731062');
INSERT INTO "notifications" VALUES(113,'a0e40868-ad59-4cb4-a1cb-372a544aa03d','tim:luar-biasa','Kartika Dyah Pramesti','pimpinan-kementerian','mailto://127.0.0.1:38221/wamen%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (luar-biasa) di Lapas Kelas IIA Banyuasin',1,NULL,'2026-11-30 05:47:58.813795');
INSERT INTO "notifications" VALUES(114,'05ade90f-b195-4d4d-836d-ff78480eaa9d','tim:sedang','Ratih Kusumawardhani','kabag-humas','mailto://127.0.0.1:38221/kabag.humas%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (sedang) di Lapas Kelas IIA Pangkalpinang',1,NULL,'2026-11-30 05:47:58.818964');
INSERT INTO "notifications" VALUES(115,'a0e40868-ad59-4cb4-a1cb-372a544aa03d','tim:luar-biasa','Haryo Seno Adiwijaya','dirjen','mailto://127.0.0.1:38221/dirjen%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (luar-biasa) di Lapas Kelas IIA Banyuasin',1,NULL,'2026-11-30 05:47:58.930834');
INSERT INTO "notifications" VALUES(116,'a0e40868-ad59-4cb4-a1cb-372a544aa03d','tim:luar-biasa','Ratih Kusumawardhani','kabag-humas','mailto://127.0.0.1:38221/kabag.humas%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (luar-biasa) di Lapas Kelas IIA Banyuasin',1,NULL,'2026-11-30 05:47:59.024650');
INSERT INTO "notifications" VALUES(117,'a0e40868-ad59-4cb4-a1cb-372a544aa03d','tim:luar-biasa','Galih Prakoso Aji','operator-media-center','mailto://127.0.0.1:38221/mediacenter%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (luar-biasa) di Lapas Kelas IIA Banyuasin',1,NULL,'2026-11-30 05:47:59.133320');
INSERT INTO "notifications" VALUES(118,'a0e40868-ad59-4cb4-a1cb-372a544aa03d','tim:luar-biasa','Syahrial Fikri Azhar','kakanwil','mailto://127.0.0.1:38221/kakanwil.kanwil-sumsel%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (luar-biasa) di Lapas Kelas IIA Banyuasin',1,NULL,'2026-11-30 05:47:59.241215');
INSERT INTO "notifications" VALUES(119,'a0e40868-ad59-4cb4-a1cb-372a544aa03d','tim:luar-biasa','Putri Ayu Wulandari','humas-kanwil','mailto://127.0.0.1:38221/humas.kanwil-sumsel%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (luar-biasa) di Lapas Kelas IIA Banyuasin',1,NULL,'2026-11-30 05:47:59.301564');
INSERT INTO "notifications" VALUES(120,'a0e40868-ad59-4cb4-a1cb-372a544aa03d','tim:luar-biasa','Hasanuddin Ma''ruf Alamsyah','kadiv-pemasyarakatan','mailto://127.0.0.1:38221/kadivpas.kanwil-sumsel%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (luar-biasa) di Lapas Kelas IIA Banyuasin',1,NULL,'2026-11-30 05:47:59.341586');
INSERT INTO "notifications" VALUES(121,'a0e40868-ad59-4cb4-a1cb-372a544aa03d','tim:luar-biasa','Muhammad Rizal Effendi','kepala-upt','mailto://127.0.0.1:38221/kalapas.banyuasin%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (luar-biasa) di Lapas Kelas IIA Banyuasin',1,NULL,'2026-11-30 05:47:59.398475');
INSERT INTO "notifications" VALUES(122,'a0e40868-ad59-4cb4-a1cb-372a544aa03d','tim:luar-biasa','Siti Rahmah Yulianti','humas-upt','mailto://127.0.0.1:38221/humas.banyuasin%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (luar-biasa) di Lapas Kelas IIA Banyuasin',1,NULL,'2026-11-30 05:47:59.466150');
INSERT INTO "notifications" VALUES(123,'a0e40868-ad59-4cb4-a1cb-372a544aa03d','tim:luar-biasa','Dedi Irawan Saputra','kepala-kpr','mailto://127.0.0.1:38221/kplp.banyuasin%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (luar-biasa) di Lapas Kelas IIA Banyuasin',1,NULL,'2026-11-30 05:47:59.514942');
INSERT INTO "notifications" VALUES(124,'a0e40868-ad59-4cb4-a1cb-372a544aa03d','tim:luar-biasa','dr. Fitri Handayani Zulkifli','petugas-kesehatan','mailto://127.0.0.1:38221/klinik.banyuasin%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (luar-biasa) di Lapas Kelas IIA Banyuasin',1,NULL,'2026-11-30 05:47:59.549243');
INSERT INTO "notifications" VALUES(125,'75177930-864d-4c4b-9bac-f40b3d99420a','tim:luar-biasa','Sutan Mahendra Harahap','pimpinan-kementerian','mailto://127.0.0.1:38221/menteri%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (luar-biasa) di Lapas Kelas IIB Nabire',1,NULL,'2026-11-30 05:48:01.029845');
INSERT INTO "notifications" VALUES(126,'75177930-864d-4c4b-9bac-f40b3d99420a','tim:luar-biasa','Kartika Dyah Pramesti','pimpinan-kementerian','mailto://127.0.0.1:38221/wamen%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (luar-biasa) di Lapas Kelas IIB Nabire',1,NULL,'2026-11-30 05:48:01.070731');
INSERT INTO "notifications" VALUES(127,'75177930-864d-4c4b-9bac-f40b3d99420a','tim:luar-biasa','Haryo Seno Adiwijaya','dirjen','mailto://127.0.0.1:38221/dirjen%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (luar-biasa) di Lapas Kelas IIB Nabire',1,NULL,'2026-11-30 05:48:01.103013');
INSERT INTO "notifications" VALUES(128,'75177930-864d-4c4b-9bac-f40b3d99420a','tim:luar-biasa','Ratih Kusumawardhani','kabag-humas','mailto://127.0.0.1:38221/kabag.humas%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (luar-biasa) di Lapas Kelas IIB Nabire',1,NULL,'2026-11-30 05:48:01.142680');
INSERT INTO "notifications" VALUES(129,'75177930-864d-4c4b-9bac-f40b3d99420a','tim:luar-biasa','Galih Prakoso Aji','operator-media-center','mailto://127.0.0.1:38221/mediacenter%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (luar-biasa) di Lapas Kelas IIB Nabire',1,NULL,'2026-11-30 05:48:01.175188');
INSERT INTO "notifications" VALUES(130,'75177930-864d-4c4b-9bac-f40b3d99420a','tim:luar-biasa','Petrus Aiwoy Rumaropen','kakanwil','mailto://127.0.0.1:38221/kakanwil.kanwil-papuatengah%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (luar-biasa) di Lapas Kelas IIB Nabire',1,NULL,'2026-11-30 05:48:01.208584');
INSERT INTO "notifications" VALUES(131,'75177930-864d-4c4b-9bac-f40b3d99420a','tim:luar-biasa','Yuliana Kambu','humas-kanwil','mailto://127.0.0.1:38221/humas.kanwil-papuatengah%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (luar-biasa) di Lapas Kelas IIB Nabire',1,NULL,'2026-11-30 05:48:01.252947');
INSERT INTO "notifications" VALUES(132,'75177930-864d-4c4b-9bac-f40b3d99420a','tim:luar-biasa','Simon Waromi Sawaki','kadiv-pemasyarakatan','mailto://127.0.0.1:38221/kadivpas.kanwil-papuatengah%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (luar-biasa) di Lapas Kelas IIB Nabire',1,NULL,'2026-11-30 05:48:01.289004');
INSERT INTO "notifications" VALUES(133,'75177930-864d-4c4b-9bac-f40b3d99420a','tim:luar-biasa','Daniel Kareth Wanimbo','kepala-upt','mailto://127.0.0.1:38221/kalapas.nabire%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (luar-biasa) di Lapas Kelas IIB Nabire',1,NULL,'2026-11-30 05:48:01.320899');
INSERT INTO "notifications" VALUES(134,'75177930-864d-4c4b-9bac-f40b3d99420a','tim:luar-biasa','Maria Magdalena Yeimo','humas-upt','mailto://127.0.0.1:38221/humas.nabire%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (luar-biasa) di Lapas Kelas IIB Nabire',1,NULL,'2026-11-30 05:48:01.357153');
INSERT INTO "notifications" VALUES(135,'75177930-864d-4c4b-9bac-f40b3d99420a','tim:luar-biasa','Stevanus Rumbiak','kepala-kpr','mailto://127.0.0.1:38221/kplp.nabire%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (luar-biasa) di Lapas Kelas IIB Nabire',1,NULL,'2026-11-30 05:48:01.393568');
INSERT INTO "notifications" VALUES(136,'75177930-864d-4c4b-9bac-f40b3d99420a','tim:luar-biasa','dr. Elisabeth Mandowen','petugas-kesehatan','mailto://127.0.0.1:38221/klinik.nabire%40pasopati.example?format=html&overflow=upstream&retry=0&wait=0.5&optional=no&rto=5.0&cto=3.0&from=pasopati%40pasopati.example','[PASOPATI] Panggilan TKK: Keamanan dan Ketertiban (Kamtib) (luar-biasa) di Lapas Kelas IIB Nabire',1,NULL,'2026-11-30 05:48:01.436540');
CREATE TABLE publications (
	id VARCHAR(64) NOT NULL, 
	incident_id VARCHAR(36) NOT NULL, 
	draft_id VARCHAR(96) NOT NULL, 
	channel VARCHAR(64) NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	location TEXT, 
	error TEXT, 
	attempts INTEGER NOT NULL, 
	published_at DATETIME, 
	flag TEXT, 
	correction_draft_id VARCHAR(96), 
	PRIMARY KEY (id), 
	UNIQUE (draft_id, channel), 
	FOREIGN KEY(incident_id) REFERENCES incidents (id), 
	FOREIGN KEY(draft_id) REFERENCES drafts (id)
);
INSERT INTO "publications" VALUES('82f2a1a481e377fdc49ca404a8c4f83c','ecde9512-4b56-462a-b04b-e1343732c22a','ecde9512-4b56-462a-b04b-e1343732c22a-luar-biasa-holding_statement-id-r2','medsos-ditjenpas','sent','http://127.0.0.1:34801/posts/1',NULL,1,'2026-11-30 05:47:13.587441',NULL,NULL);
INSERT INTO "publications" VALUES('fe9bf0f475ed1dd5515c50eafd618c2d','ecde9512-4b56-462a-b04b-e1343732c22a','ecde9512-4b56-462a-b04b-e1343732c22a-luar-biasa-holding_statement-id-r2','situs-ditjenpas','sent','/work/baseline/.pasopati/test-session-v535nnwj/outbox/ecde9512-4b56-462a-b04b-e1343732c22a/situs-ditjenpas--fe9bf0f475ed1dd5515c50eafd618c2d.txt',NULL,1,'2026-11-30 05:47:13.509571',NULL,NULL);
INSERT INTO "publications" VALUES('52046634b6a4326b2bcb788c82f1b444','ecde9512-4b56-462a-b04b-e1343732c22a','ecde9512-4b56-462a-b04b-e1343732c22a-luar-biasa-holding_statement-id-r2','call-center','sent','/work/baseline/.pasopati/test-session-v535nnwj/outbox/ecde9512-4b56-462a-b04b-e1343732c22a/call-center--52046634b6a4326b2bcb788c82f1b444.txt',NULL,1,'2026-11-30 05:47:13.557867',NULL,NULL);
INSERT INTO "publications" VALUES('9580f82e7082fd3e0be542014f1f7d1d','ecde9512-4b56-462a-b04b-e1343732c22a','ecde9512-4b56-462a-b04b-e1343732c22a-luar-biasa-holding_statement-id-r2','media-center','sent','/work/baseline/.pasopati/test-session-v535nnwj/outbox/ecde9512-4b56-462a-b04b-e1343732c22a/media-center--9580f82e7082fd3e0be542014f1f7d1d.txt',NULL,1,'2026-11-30 05:47:13.646872',NULL,NULL);
INSERT INTO "publications" VALUES('00a7447679c83449a44e64264694b847','ecde9512-4b56-462a-b04b-e1343732c22a','ecde9512-4b56-462a-b04b-e1343732c22a-luar-biasa-holding_statement-en','medsos-ditjenpas','sent','http://127.0.0.1:34801/posts/2',NULL,1,'2026-11-30 05:47:13.628022',NULL,NULL);
INSERT INTO "publications" VALUES('49c1fc07a7d29e58a672552ed80f50af','ecde9512-4b56-462a-b04b-e1343732c22a','ecde9512-4b56-462a-b04b-e1343732c22a-luar-biasa-holding_statement-en','situs-ditjenpas','sent','/work/baseline/.pasopati/test-session-v535nnwj/outbox/ecde9512-4b56-462a-b04b-e1343732c22a/situs-ditjenpas--49c1fc07a7d29e58a672552ed80f50af.txt',NULL,1,'2026-11-30 05:47:13.618939',NULL,NULL);
INSERT INTO "publications" VALUES('1ad3ed70cad9d819d352b8690fddbf5b','ecde9512-4b56-462a-b04b-e1343732c22a','ecde9512-4b56-462a-b04b-e1343732c22a-luar-biasa-holding_statement-id-r2','akun-upt','sent','/work/baseline/.pasopati/test-session-v535nnwj/outbox/ecde9512-4b56-462a-b04b-e1343732c22a/akun-upt--1ad3ed70cad9d819d352b8690fddbf5b.txt',NULL,1,'2026-11-30 05:47:13.629914',NULL,NULL);
INSERT INTO "publications" VALUES('9867f31912d5e8149a6c10de9e855e21','ecde9512-4b56-462a-b04b-e1343732c22a','ecde9512-4b56-462a-b04b-e1343732c22a-luar-biasa-holding_statement-en','media-center','sent','/work/baseline/.pasopati/test-session-v535nnwj/outbox/ecde9512-4b56-462a-b04b-e1343732c22a/media-center--9867f31912d5e8149a6c10de9e855e21.txt',NULL,1,'2026-11-30 05:47:13.691436',NULL,NULL);
INSERT INTO "publications" VALUES('58bfdc12f7b68db1e72956a79d3f290e','ecde9512-4b56-462a-b04b-e1343732c22a','ecde9512-4b56-462a-b04b-e1343732c22a-luar-biasa-holding_statement-en','pusat-informasi-bersama','sent','/work/baseline/.pasopati/test-session-v535nnwj/outbox/ecde9512-4b56-462a-b04b-e1343732c22a/pusat-informasi-bersama--58bfdc12f7b68db1e72956a79d3f290e.txt',NULL,1,'2026-11-30 05:47:13.640262',NULL,NULL);
INSERT INTO "publications" VALUES('d980f25c9ab69b14869fa58611c2430c','ecde9512-4b56-462a-b04b-e1343732c22a','ecde9512-4b56-462a-b04b-e1343732c22a-luar-biasa-holding_statement-en','akun-upt','sent','/work/baseline/.pasopati/test-session-v535nnwj/outbox/ecde9512-4b56-462a-b04b-e1343732c22a/akun-upt--d980f25c9ab69b14869fa58611c2430c.txt',NULL,1,'2026-11-30 05:47:13.648702',NULL,NULL);
INSERT INTO "publications" VALUES('9fa2dca34f2eb29c003e41d491f5ccb9','ecde9512-4b56-462a-b04b-e1343732c22a','ecde9512-4b56-462a-b04b-e1343732c22a-luar-biasa-holding_statement-en','posko-keluarga','sent','/work/baseline/.pasopati/test-session-v535nnwj/outbox/ecde9512-4b56-462a-b04b-e1343732c22a/posko-keluarga--9fa2dca34f2eb29c003e41d491f5ccb9.txt',NULL,1,'2026-11-30 05:47:13.665570',NULL,NULL);
INSERT INTO "publications" VALUES('7296da1ec1bcf608b3548f41df1604d5','ecde9512-4b56-462a-b04b-e1343732c22a','ecde9512-4b56-462a-b04b-e1343732c22a-luar-biasa-holding_statement-en','call-center','sent','/work/baseline/.pasopati/test-session-v535nnwj/outbox/ecde9512-4b56-462a-b04b-e1343732c22a/call-center--7296da1ec1bcf608b3548f41df1604d5.txt',NULL,1,'2026-11-30 05:47:13.669780',NULL,NULL);
INSERT INTO "publications" VALUES('a17c44f961cd0e996bedc293378133b0','ecde9512-4b56-462a-b04b-e1343732c22a','ecde9512-4b56-462a-b04b-e1343732c22a-luar-biasa-holding_statement-id-r2','akun-kanwil','sent','/work/baseline/.pasopati/test-session-v535nnwj/outbox/ecde9512-4b56-462a-b04b-e1343732c22a/akun-kanwil--a17c44f961cd0e996bedc293378133b0.txt',NULL,1,'2026-11-30 05:47:13.703197',NULL,NULL);
INSERT INTO "publications" VALUES('e7312000af5ff0379d904a6c44451312','ecde9512-4b56-462a-b04b-e1343732c22a','ecde9512-4b56-462a-b04b-e1343732c22a-luar-biasa-holding_statement-en','akun-kanwil','sent','/work/baseline/.pasopati/test-session-v535nnwj/outbox/ecde9512-4b56-462a-b04b-e1343732c22a/akun-kanwil--e7312000af5ff0379d904a6c44451312.txt',NULL,1,'2026-11-30 05:47:13.725571',NULL,NULL);
INSERT INTO "publications" VALUES('694d6950a47d3876f80bd725e63ae9fd','ecde9512-4b56-462a-b04b-e1343732c22a','ecde9512-4b56-462a-b04b-e1343732c22a-luar-biasa-holding_statement-id-r2','posko-keluarga','sent','/work/baseline/.pasopati/test-session-v535nnwj/outbox/ecde9512-4b56-462a-b04b-e1343732c22a/posko-keluarga--694d6950a47d3876f80bd725e63ae9fd.txt',NULL,1,'2026-11-30 05:47:13.747700',NULL,NULL);
INSERT INTO "publications" VALUES('135e15e6baefd7f98ba0ab2b75ca3074','ecde9512-4b56-462a-b04b-e1343732c22a','ecde9512-4b56-462a-b04b-e1343732c22a-luar-biasa-holding_statement-id-r2','pusat-informasi-bersama','sent','/work/baseline/.pasopati/test-session-v535nnwj/outbox/ecde9512-4b56-462a-b04b-e1343732c22a/pusat-informasi-bersama--135e15e6baefd7f98ba0ab2b75ca3074.txt',NULL,1,'2026-11-30 05:47:13.748482',NULL,NULL);
INSERT INTO "publications" VALUES('1ad3f2eb23c89fbed2861f445cea7b22','cc767071-6206-4c99-85fd-ba03a865420f','cc767071-6206-4c99-85fd-ba03a865420f-sedang-holding_statement-id-r2','akun-upt','sent','/work/baseline/.pasopati/test-session-v535nnwj/outbox/cc767071-6206-4c99-85fd-ba03a865420f/akun-upt--1ad3f2eb23c89fbed2861f445cea7b22.txt',NULL,1,'2026-11-30 05:47:24.678379',NULL,NULL);
INSERT INTO "publications" VALUES('c2b422695d521daca8fe7d23bb10debf','cc767071-6206-4c99-85fd-ba03a865420f','cc767071-6206-4c99-85fd-ba03a865420f-sedang-holding_statement-id-r2','akun-kanwil','sent','/work/baseline/.pasopati/test-session-v535nnwj/outbox/cc767071-6206-4c99-85fd-ba03a865420f/akun-kanwil--c2b422695d521daca8fe7d23bb10debf.txt',NULL,1,'2026-11-30 05:47:24.684309',NULL,NULL);
INSERT INTO "publications" VALUES('5d3a2907da467998a377c824dc1f68f5','abf2afde-876d-42d7-90ef-c521c961fbe2','abf2afde-876d-42d7-90ef-c521c961fbe2-sedang-holding_statement-id','akun-upt','sent','/work/baseline/.pasopati/test-session-v535nnwj/outbox/abf2afde-876d-42d7-90ef-c521c961fbe2/akun-upt--5d3a2907da467998a377c824dc1f68f5.txt',NULL,1,'2026-11-30 05:47:32.276330','fakta berubah: Jumlah WBP terlibat ''3 orang'' → ''4 orang''','abf2afde-876d-42d7-90ef-c521c961fbe2-sedang-correction-id-548a824e');
INSERT INTO "publications" VALUES('ef8213d09c9e5c20b2a63275fe888623','abf2afde-876d-42d7-90ef-c521c961fbe2','abf2afde-876d-42d7-90ef-c521c961fbe2-sedang-holding_statement-id','akun-kanwil','sent','/work/baseline/.pasopati/test-session-v535nnwj/outbox/abf2afde-876d-42d7-90ef-c521c961fbe2/akun-kanwil--ef8213d09c9e5c20b2a63275fe888623.txt',NULL,1,'2026-11-30 05:47:32.274094','fakta berubah: Jumlah WBP terlibat ''3 orang'' → ''4 orang''','abf2afde-876d-42d7-90ef-c521c961fbe2-sedang-correction-id-548a824e');
INSERT INTO "publications" VALUES('b71019de3c1639503e9ea131d2a75888','abf2afde-876d-42d7-90ef-c521c961fbe2','abf2afde-876d-42d7-90ef-c521c961fbe2-sedang-press_release-id','siaran-pers','sent','/work/baseline/.pasopati/test-session-v535nnwj/outbox/abf2afde-876d-42d7-90ef-c521c961fbe2/siaran-pers--b71019de3c1639503e9ea131d2a75888.txt',NULL,1,'2026-11-30 05:47:35.728362','fakta berubah: Jumlah WBP terlibat ''3 orang'' → ''4 orang''','abf2afde-876d-42d7-90ef-c521c961fbe2-sedang-correction-id-548a824e');
INSERT INTO "publications" VALUES('02a66ad12dde127dcc1e6f42ced0ae84','abf2afde-876d-42d7-90ef-c521c961fbe2','abf2afde-876d-42d7-90ef-c521c961fbe2-sedang-press_release-id','akun-kanwil','sent','/work/baseline/.pasopati/test-session-v535nnwj/outbox/abf2afde-876d-42d7-90ef-c521c961fbe2/akun-kanwil--02a66ad12dde127dcc1e6f42ced0ae84.txt',NULL,1,'2026-11-30 05:47:35.729159','fakta berubah: Jumlah WBP terlibat ''3 orang'' → ''4 orang''','abf2afde-876d-42d7-90ef-c521c961fbe2-sedang-correction-id-548a824e');
INSERT INTO "publications" VALUES('73fcaf7f5367a013d8ab4244ef464292','abf2afde-876d-42d7-90ef-c521c961fbe2','abf2afde-876d-42d7-90ef-c521c961fbe2-sedang-press_release-id','akun-upt','sent','/work/baseline/.pasopati/test-session-v535nnwj/outbox/abf2afde-876d-42d7-90ef-c521c961fbe2/akun-upt--73fcaf7f5367a013d8ab4244ef464292.txt',NULL,1,'2026-11-30 05:47:35.721106','fakta berubah: Jumlah WBP terlibat ''3 orang'' → ''4 orang''','abf2afde-876d-42d7-90ef-c521c961fbe2-sedang-correction-id-548a824e');
INSERT INTO "publications" VALUES('a7fa02835117b08267c2efdd04ef235e','abf2afde-876d-42d7-90ef-c521c961fbe2','abf2afde-876d-42d7-90ef-c521c961fbe2-sedang-social_post-id','akun-kanwil','sent','/work/baseline/.pasopati/test-session-v535nnwj/outbox/abf2afde-876d-42d7-90ef-c521c961fbe2/akun-kanwil--a7fa02835117b08267c2efdd04ef235e.txt',NULL,1,'2026-11-30 05:47:35.737572',NULL,NULL);
INSERT INTO "publications" VALUES('44e22bb28331d67548ebc99bdbc23281','abf2afde-876d-42d7-90ef-c521c961fbe2','abf2afde-876d-42d7-90ef-c521c961fbe2-sedang-social_post-id','akun-upt','sent','/work/baseline/.pasopati/test-session-v535nnwj/outbox/abf2afde-876d-42d7-90ef-c521c961fbe2/akun-upt--44e22bb28331d67548ebc99bdbc23281.txt',NULL,1,'2026-11-30 05:47:35.739717',NULL,NULL);
INSERT INTO "publications" VALUES('7c4834edea48a671ddb30dcc94aadf77','abf2afde-876d-42d7-90ef-c521c961fbe2','abf2afde-876d-42d7-90ef-c521c961fbe2-sedang-situation_report-id','laporan-internal','sent','/work/baseline/.pasopati/test-session-v535nnwj/outbox/abf2afde-876d-42d7-90ef-c521c961fbe2/laporan-internal--7c4834edea48a671ddb30dcc94aadf77.txt',NULL,1,'2026-11-30 05:47:35.759052','fakta berubah: Jumlah WBP terlibat ''3 orang'' → ''4 orang''','abf2afde-876d-42d7-90ef-c521c961fbe2-sedang-correction-id-548a824e');
INSERT INTO "publications" VALUES('a8f27bf1bb58ee2564867a3da407b4c5','abf2afde-876d-42d7-90ef-c521c961fbe2','abf2afde-876d-42d7-90ef-c521c961fbe2-sedang-correction-id-548a824e','akun-kanwil','sent','/work/baseline/.pasopati/test-session-v535nnwj/outbox/abf2afde-876d-42d7-90ef-c521c961fbe2/akun-kanwil--a8f27bf1bb58ee2564867a3da407b4c5.txt',NULL,1,'2026-11-30 05:47:39.186707',NULL,NULL);
INSERT INTO "publications" VALUES('03b0d6f13064059b3a63604b21e3b49d','abf2afde-876d-42d7-90ef-c521c961fbe2','abf2afde-876d-42d7-90ef-c521c961fbe2-sedang-correction-id-548a824e','akun-upt','sent','/work/baseline/.pasopati/test-session-v535nnwj/outbox/abf2afde-876d-42d7-90ef-c521c961fbe2/akun-upt--03b0d6f13064059b3a63604b21e3b49d.txt',NULL,1,'2026-11-30 05:47:39.209313',NULL,NULL);
INSERT INTO "publications" VALUES('5f50fba738a5bdf0f50bf87e24e9ab41','abf2afde-876d-42d7-90ef-c521c961fbe2','abf2afde-876d-42d7-90ef-c521c961fbe2-sedang-correction-id-548a824e','laporan-internal','sent','/work/baseline/.pasopati/test-session-v535nnwj/outbox/abf2afde-876d-42d7-90ef-c521c961fbe2/laporan-internal--5f50fba738a5bdf0f50bf87e24e9ab41.txt',NULL,1,'2026-11-30 05:47:39.225309',NULL,NULL);
INSERT INTO "publications" VALUES('3066e30a107e53a74cca718f10914614','abf2afde-876d-42d7-90ef-c521c961fbe2','abf2afde-876d-42d7-90ef-c521c961fbe2-sedang-correction-id-548a824e','siaran-pers','sent','/work/baseline/.pasopati/test-session-v535nnwj/outbox/abf2afde-876d-42d7-90ef-c521c961fbe2/siaran-pers--3066e30a107e53a74cca718f10914614.txt',NULL,1,'2026-11-30 05:47:39.202062',NULL,NULL);
INSERT INTO "publications" VALUES('72f7d246cc9b34b78ea4a7ded90e11ff','e745022d-4f78-47b6-805d-9c9e14aebdf9','e745022d-4f78-47b6-805d-9c9e14aebdf9-sedang-holding_statement-id','akun-upt','sent','/work/baseline/.pasopati/test-session-v535nnwj/outbox/e745022d-4f78-47b6-805d-9c9e14aebdf9/akun-upt--72f7d246cc9b34b78ea4a7ded90e11ff.txt',NULL,1,'2026-11-30 05:47:54.237225',NULL,NULL);
INSERT INTO "publications" VALUES('bb994b10344808cb9475bb940e13350f','e745022d-4f78-47b6-805d-9c9e14aebdf9','e745022d-4f78-47b6-805d-9c9e14aebdf9-sedang-holding_statement-id','akun-kanwil','sent','/work/baseline/.pasopati/test-session-v535nnwj/outbox/e745022d-4f78-47b6-805d-9c9e14aebdf9/akun-kanwil--bb994b10344808cb9475bb940e13350f.txt',NULL,1,'2026-11-30 05:47:54.220993',NULL,NULL);
CREATE TABLE runs (
	flow_run_id VARCHAR(36) NOT NULL, 
	incident_id VARCHAR(36) NOT NULL, 
	severity VARCHAR(16) NOT NULL, 
	started_at DATETIME NOT NULL, 
	PRIMARY KEY (flow_run_id), 
	FOREIGN KEY(incident_id) REFERENCES incidents (id)
);
INSERT INTO "runs" VALUES('1a9500fa-1886-4cdd-a2da-82c94dc02992','ecde9512-4b56-462a-b04b-e1343732c22a','luar-biasa','2026-11-30 05:47:07.322355');
INSERT INTO "runs" VALUES('8c29087c-4db6-4782-87da-0e097b5e9269','cc767071-6206-4c99-85fd-ba03a865420f','sedang','2026-11-30 05:47:19.092934');
INSERT INTO "runs" VALUES('e3eaed28-0f77-4986-b253-772f36fa3502','abf2afde-876d-42d7-90ef-c521c961fbe2','sedang','2026-11-30 05:47:29.564009');
INSERT INTO "runs" VALUES('60807dad-6d51-4696-9129-6297e8aff0d9','abf2afde-876d-42d7-90ef-c521c961fbe2','sedang','2026-11-30 05:47:37.145411');
INSERT INTO "runs" VALUES('10643d76-9424-4bd0-ae67-6b2110c8e899','e745022d-4f78-47b6-805d-9c9e14aebdf9','sedang','2026-11-30 05:47:40.403351');
INSERT INTO "runs" VALUES('1514720b-495e-4264-888d-547d2d09371b','ed699ba1-2580-4a6b-9620-8402a60e6f59','sedang','2026-11-30 05:47:57.483000');
INSERT INTO "runs" VALUES('801a3d13-e5d7-40a3-a4ca-345b4b48563e','05ade90f-b195-4d4d-836d-ff78480eaa9d','sedang','2026-11-30 05:47:57.691858');
INSERT INTO "runs" VALUES('8554ea8d-f5f0-493d-8903-9250bdcb0549','a0e40868-ad59-4cb4-a1cb-372a544aa03d','luar-biasa','2026-11-30 05:47:57.773817');
INSERT INTO "runs" VALUES('1a3763d8-0065-4a7d-8fee-dac3c5e86517','75177930-864d-4c4b-9bac-f40b3d99420a','luar-biasa','2026-11-30 05:48:00.780760');
CREATE TABLE stage_events (
	incident_id VARCHAR(36) NOT NULL, 
	stage VARCHAR(32) NOT NULL, 
	at DATETIME NOT NULL, 
	PRIMARY KEY (incident_id, stage), 
	FOREIGN KEY(incident_id) REFERENCES incidents (id)
);
INSERT INTO "stage_events" VALUES('ecde9512-4b56-462a-b04b-e1343732c22a','opened','2026-11-30 05:47:07.324036');
INSERT INTO "stage_events" VALUES('ecde9512-4b56-462a-b04b-e1343732c22a','team','2026-11-30 05:47:07.359646');
INSERT INTO "stage_events" VALUES('ecde9512-4b56-462a-b04b-e1343732c22a','holding_drafted','2026-11-30 05:47:08.307934');
INSERT INTO "stage_events" VALUES('ecde9512-4b56-462a-b04b-e1343732c22a','holding_approved','2026-11-30 05:47:13.432470');
INSERT INTO "stage_events" VALUES('ecde9512-4b56-462a-b04b-e1343732c22a','first_publication','2026-11-30 05:47:13.541716');
INSERT INTO "stage_events" VALUES('ecde9512-4b56-462a-b04b-e1343732c22a','verified','2026-11-30 05:47:16.311357');
INSERT INTO "stage_events" VALUES('ecde9512-4b56-462a-b04b-e1343732c22a','drafted','2026-11-30 05:47:16.433221');
INSERT INTO "stage_events" VALUES('ecde9512-4b56-462a-b04b-e1343732c22a','evaluated','2026-11-30 05:47:18.033481');
INSERT INTO "stage_events" VALUES('cc767071-6206-4c99-85fd-ba03a865420f','opened','2026-11-30 05:47:19.094459');
INSERT INTO "stage_events" VALUES('cc767071-6206-4c99-85fd-ba03a865420f','team','2026-11-30 05:47:19.119299');
INSERT INTO "stage_events" VALUES('cc767071-6206-4c99-85fd-ba03a865420f','holding_drafted','2026-11-30 05:47:19.780566');
INSERT INTO "stage_events" VALUES('cc767071-6206-4c99-85fd-ba03a865420f','holding_approved','2026-11-30 05:47:24.611118');
INSERT INTO "stage_events" VALUES('cc767071-6206-4c99-85fd-ba03a865420f','first_publication','2026-11-30 05:47:24.682678');
INSERT INTO "stage_events" VALUES('cc767071-6206-4c99-85fd-ba03a865420f','verified','2026-11-30 05:47:26.345639');
INSERT INTO "stage_events" VALUES('cc767071-6206-4c99-85fd-ba03a865420f','drafted','2026-11-30 05:47:26.442907');
INSERT INTO "stage_events" VALUES('cc767071-6206-4c99-85fd-ba03a865420f','evaluated','2026-11-30 05:47:28.107979');
INSERT INTO "stage_events" VALUES('abf2afde-876d-42d7-90ef-c521c961fbe2','opened','2026-11-30 05:47:29.565429');
INSERT INTO "stage_events" VALUES('abf2afde-876d-42d7-90ef-c521c961fbe2','team','2026-11-30 05:47:29.597742');
INSERT INTO "stage_events" VALUES('abf2afde-876d-42d7-90ef-c521c961fbe2','holding_drafted','2026-11-30 05:47:30.248997');
INSERT INTO "stage_events" VALUES('abf2afde-876d-42d7-90ef-c521c961fbe2','holding_approved','2026-11-30 05:47:32.211212');
INSERT INTO "stage_events" VALUES('abf2afde-876d-42d7-90ef-c521c961fbe2','first_publication','2026-11-30 05:47:32.276991');
INSERT INTO "stage_events" VALUES('abf2afde-876d-42d7-90ef-c521c961fbe2','verified','2026-11-30 05:47:33.940219');
INSERT INTO "stage_events" VALUES('abf2afde-876d-42d7-90ef-c521c961fbe2','drafted','2026-11-30 05:47:34.046322');
INSERT INTO "stage_events" VALUES('abf2afde-876d-42d7-90ef-c521c961fbe2','approved','2026-11-30 05:47:35.639730');
INSERT INTO "stage_events" VALUES('abf2afde-876d-42d7-90ef-c521c961fbe2','evaluated','2026-11-30 05:47:35.886201');
INSERT INTO "stage_events" VALUES('e745022d-4f78-47b6-805d-9c9e14aebdf9','opened','2026-11-30 05:47:40.405201');
INSERT INTO "stage_events" VALUES('e745022d-4f78-47b6-805d-9c9e14aebdf9','team','2026-11-30 05:47:40.430578');
INSERT INTO "stage_events" VALUES('e745022d-4f78-47b6-805d-9c9e14aebdf9','holding_drafted','2026-11-30 05:47:41.100329');
INSERT INTO "stage_events" VALUES('e745022d-4f78-47b6-805d-9c9e14aebdf9','holding_approved','2026-11-30 05:47:54.145543');
INSERT INTO "stage_events" VALUES('e745022d-4f78-47b6-805d-9c9e14aebdf9','first_publication','2026-11-30 05:47:54.224252');
INSERT INTO "stage_events" VALUES('ed699ba1-2580-4a6b-9620-8402a60e6f59','opened','2026-11-30 05:47:57.490393');
INSERT INTO "stage_events" VALUES('ed699ba1-2580-4a6b-9620-8402a60e6f59','team','2026-11-30 05:47:57.568390');
INSERT INTO "stage_events" VALUES('05ade90f-b195-4d4d-836d-ff78480eaa9d','opened','2026-11-30 05:47:57.701302');
INSERT INTO "stage_events" VALUES('05ade90f-b195-4d4d-836d-ff78480eaa9d','team','2026-11-30 05:47:57.764135');
INSERT INTO "stage_events" VALUES('a0e40868-ad59-4cb4-a1cb-372a544aa03d','opened','2026-11-30 05:47:57.780487');
INSERT INTO "stage_events" VALUES('a0e40868-ad59-4cb4-a1cb-372a544aa03d','team','2026-11-30 05:47:57.911720');
INSERT INTO "stage_events" VALUES('ed699ba1-2580-4a6b-9620-8402a60e6f59','holding_drafted','2026-11-30 05:47:59.016748');
INSERT INTO "stage_events" VALUES('05ade90f-b195-4d4d-836d-ff78480eaa9d','holding_drafted','2026-11-30 05:47:59.459343');
INSERT INTO "stage_events" VALUES('a0e40868-ad59-4cb4-a1cb-372a544aa03d','holding_drafted','2026-11-30 05:47:59.868664');
INSERT INTO "stage_events" VALUES('75177930-864d-4c4b-9bac-f40b3d99420a','opened','2026-11-30 05:48:00.783422');
INSERT INTO "stage_events" VALUES('75177930-864d-4c4b-9bac-f40b3d99420a','team','2026-11-30 05:48:00.816381');
INSERT INTO "stage_events" VALUES('75177930-864d-4c4b-9bac-f40b3d99420a','holding_drafted','2026-11-30 05:48:01.717202');
CREATE TABLE teams (
	incident_id VARCHAR(36) NOT NULL, 
	severity VARCHAR(16) NOT NULL, 
	assembled_at DATETIME NOT NULL, 
	data JSON NOT NULL, 
	PRIMARY KEY (incident_id, severity), 
	FOREIGN KEY(incident_id) REFERENCES incidents (id)
);
INSERT INTO "teams" VALUES('ecde9512-4b56-462a-b04b-e1343732c22a','luar-biasa','2026-11-30 05:47:07.350708','{"incident_id": "ecde9512-4b56-462a-b04b-e1343732c22a", "severity": "luar-biasa", "members": [{"role": "pimpinan-kementerian", "role_title": "Menteri / Wakil Menteri", "level": "kementerian", "org": "kementerian", "duty": "Memberikan persetujuan atas setiap pesan publik (dua pimpinan yang berbeda) dan menyelaraskannya dengan komunikasi pemerintah pusat.", "informed_only": false, "name": "Sutan Mahendra Harahap", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=menteri@pasopati.example"}, {"role": "pimpinan-kementerian", "role_title": "Menteri / Wakil Menteri", "level": "kementerian", "org": "kementerian", "duty": "Memberikan persetujuan atas setiap pesan publik (dua pimpinan yang berbeda) dan menyelaraskannya dengan komunikasi pemerintah pusat.", "informed_only": false, "name": "Kartika Dyah Pramesti", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=wamen@pasopati.example"}, {"role": "dirjen", "role_title": "Direktur Jenderal Pemasyarakatan", "level": "ditjenpas", "org": "ditjenpas", "duty": "Juru bicara utama: menyampaikan pernyataan resmi, memimpin konferensi pers bersama instansi terkait, dan melapor kepada pimpinan kementerian.", "informed_only": false, "name": "Haryo Seno Adiwijaya", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=dirjen@pasopati.example"}, {"role": "kabag-humas", "role_title": "Kepala Bagian Humas dan Protokol Ditjenpas", "level": "ditjenpas", "org": "ditjenpas", "duty": "Menyalurkan draf pesan kepada pimpinan kementerian untuk persetujuan dan mengoordinasikan pusat informasi bersama dengan humas Polri/BNPB serta komunikasi pemerintah pusat.", "informed_only": false, "name": "Ratih Kusumawardhani", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=kabag.humas@pasopati.example"}, {"role": "operator-media-center", "role_title": "Operator Media Center PASOPATI", "level": "ditjenpas", "org": "ditjenpas", "duty": "Memantau pemberitaan dan media sosial secara terus-menerus, mencatat rumor dan sentimen, serta menerbitkan pesan yang telah disetujui di seluruh kanal.", "informed_only": false, "name": "Galih Prakoso Aji", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=mediacenter@pasopati.example"}, {"role": "kakanwil", "role_title": "Kepala Kantor Wilayah Ditjenpas", "level": "kanwil", "org": "kanwil-sulawesi-selatan", "duty": "Mengendalikan penanganan di wilayah, mewakili Kanwil di pusat informasi bersama, dan menjaga satu versi fakta dan angka antara wilayah dan pusat.", "informed_only": false, "name": "Muhammad Arsyad Pallawa", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=kakanwil.kanwil-sulsel@pasopati.example"}, {"role": "humas-kanwil", "role_title": "Petugas Humas Kanwil", "level": "kanwil", "org": "kanwil-sulawesi-selatan", "duty": "Mengelola akun Kanwil dan UPT sesuai pesan pusat dan memasok fakta dari wilayah kepada pusat informasi bersama.", "informed_only": false, "name": "Andi Nurfadillah Rasyid", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=humas.kanwil-sulsel@pasopati.example"}, {"role": "kadiv-pemasyarakatan", "role_title": "Kepala Divisi Pemasyarakatan", "level": "kanwil", "org": "kanwil-sulawesi-selatan", "duty": "Memverifikasi jumlah WBP dan status pengejaran dengan UPT, SDP, dan Polres sebelum angka masuk pesan publik.", "informed_only": false, "name": "Syamsul Bahri Lantara", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=kadivpas.kanwil-sulsel@pasopati.example"}, {"role": "kepala-upt", "role_title": "Kepala UPT (Kalapas/Karutan/Kepala LPKA)", "level": "upt", "org": "lapas-makassar", "duty": "Memimpin penanganan di UPT, menjadi sumber fakta lapangan bagi pusat informasi bersama, dan memastikan posko keluarga berjalan.", "informed_only": false, "name": "Andi Muhammad Ridwan Tajuddin", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=kalapas.makassar@pasopati.example"}, {"role": "humas-upt", "role_title": "Petugas Humas UPT", "level": "upt", "org": "lapas-makassar", "duty": "Melayani keluarga WBP di posko keluarga dengan pesan yang telah disetujui dan meneruskan pertanyaan wartawan kepada pusat informasi bersama.", "informed_only": false, "name": "Nurhaedah Syamsuddin", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=humas.makassar@pasopati.example"}, {"role": "kepala-kpr", "role_title": "Kepala Kesatuan Pengamanan (KPLP/KPR)", "level": "upt", "org": "lapas-makassar", "duty": "Memimpin penghitungan ulang WBP yang dicocokkan dengan SDP dan melaporkan status pengamanan serta koordinasi dengan Polres; rincian prosedur dan celah pengamanan hanya masuk laporan internal.", "informed_only": false, "name": "Irwan Daeng Ngalle", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=kplp.makassar@pasopati.example"}, {"role": "petugas-kesehatan", "role_title": "Kepala Klinik / Petugas Kesehatan UPT", "level": "upt", "org": "lapas-makassar", "duty": "Menangani korban luka dan melaporkan jumlahnya; keterangan medis hanya masuk laporan internal.", "informed_only": false, "name": "dr. Haerul Amri Latief", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=klinik.makassar@pasopati.example"}], "assembled_at": "2026-11-30T05:47:07.350708Z"}');
INSERT INTO "teams" VALUES('cc767071-6206-4c99-85fd-ba03a865420f','sedang','2026-11-30 05:47:19.117226','{"incident_id": "cc767071-6206-4c99-85fd-ba03a865420f", "severity": "sedang", "members": [{"role": "kakanwil", "role_title": "Kepala Kantor Wilayah Ditjenpas", "level": "kanwil", "org": "kanwil-dki-jakarta", "duty": "Juru bicara dan pemberi persetujuan: menyetujui setiap pesan publik, menyampaikannya kepada media, dan melapor kepada Humas Ditjenpas.", "informed_only": false, "name": "Tri Laksono Adinegoro", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=kakanwil.kanwil-dki@pasopati.example"}, {"role": "humas-kanwil", "role_title": "Petugas Humas Kanwil", "level": "kanwil", "org": "kanwil-dki-jakarta", "duty": "Menyusun draf pernyataan dan siaran pers untuk persetujuan Kakanwil, mengelola akun Kanwil, dan menyelaraskan unggahan akun UPT.", "informed_only": false, "name": "Melati Sekar Ayu", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=humas.kanwil-dki@pasopati.example"}, {"role": "kadiv-pemasyarakatan", "role_title": "Kepala Divisi Pemasyarakatan", "level": "kanwil", "org": "kanwil-dki-jakarta", "duty": "Memimpin pengecekan lapangan oleh Kanwil dan menghimpun bukti yang dapat ditunjukkan kepada publik.", "informed_only": false, "name": "Gunawan Prasetyo Utomo", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=kadivpas.kanwil-dki@pasopati.example"}, {"role": "kepala-upt", "role_title": "Kepala UPT (Kalapas/Karutan/Kepala LPKA)", "level": "upt", "org": "rutan-salemba", "duty": "Memimpin penanganan di UPT dan melaporkan fakta terverifikasi kepada Kanwil; tidak membuat pernyataan publik di luar yang disetujui Kakanwil.", "informed_only": false, "name": "Hendra Kurniawan Saputro", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=karutan.salemba@pasopati.example"}, {"role": "humas-upt", "role_title": "Petugas Humas UPT", "level": "upt", "org": "rutan-salemba", "duty": "Menghimpun bahan dari lapangan, mengunggah pesan yang telah disetujui di akun UPT, dan meneruskan pertanyaan wartawan kepada Humas Kanwil.", "informed_only": false, "name": "Dewi Anggraini Putri", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=humas.salemba@pasopati.example"}, {"role": "kepala-kpr", "role_title": "Kepala Kesatuan Pengamanan (KPLP/KPR)", "level": "upt", "org": "rutan-salemba", "duty": "Memeriksa langsung lokasi yang ditampilkan dalam konten (mis. kamar hunian), mendokumentasikan kondisinya sebagai bukti klarifikasi, dan menindak temuan HP ilegal.", "informed_only": false, "name": "Fajar Ramadhan Siregar", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=kpr.salemba@pasopati.example"}, {"role": "operator-media-center", "role_title": "Operator Media Center PASOPATI", "level": "ditjenpas", "org": "ditjenpas", "duty": "Memantau penyebaran konten, jangkauan, dan sentimen, serta memberi tahu Kabag Humas bila isu mulai menjadi tren nasional (dasar eskalasi).", "informed_only": false, "name": "Galih Prakoso Aji", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=mediacenter@pasopati.example"}, {"role": "kabag-humas", "role_title": "Kepala Bagian Humas dan Protokol Ditjenpas", "level": "ditjenpas", "org": "ditjenpas", "duty": "Menerima laporan, memantau potensi eskalasi nasional, dan menyiapkan dukungan Media Center PASOPATI.", "informed_only": true, "name": "Ratih Kusumawardhani", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=kabag.humas@pasopati.example"}], "assembled_at": "2026-11-30T05:47:19.117226Z"}');
INSERT INTO "teams" VALUES('abf2afde-876d-42d7-90ef-c521c961fbe2','sedang','2026-11-30 05:47:29.595549','{"incident_id": "abf2afde-876d-42d7-90ef-c521c961fbe2", "severity": "sedang", "members": [{"role": "kakanwil", "role_title": "Kepala Kantor Wilayah Ditjenpas", "level": "kanwil", "org": "kanwil-dki-jakarta", "duty": "Juru bicara dan pemberi persetujuan: menyetujui setiap pesan publik, menyampaikannya kepada media, dan melapor kepada Humas Ditjenpas.", "informed_only": false, "name": "Tri Laksono Adinegoro", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=kakanwil.kanwil-dki@pasopati.example"}, {"role": "humas-kanwil", "role_title": "Petugas Humas Kanwil", "level": "kanwil", "org": "kanwil-dki-jakarta", "duty": "Menyusun draf pernyataan dan siaran pers untuk persetujuan Kakanwil, mengelola akun Kanwil, dan menyelaraskan unggahan akun UPT.", "informed_only": false, "name": "Melati Sekar Ayu", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=humas.kanwil-dki@pasopati.example"}, {"role": "kadiv-pemasyarakatan", "role_title": "Kepala Divisi Pemasyarakatan", "level": "kanwil", "org": "kanwil-dki-jakarta", "duty": "Memverifikasi jumlah WBP dan status pengejaran dengan UPT, SDP, dan Polres sebelum angka masuk pesan publik.", "informed_only": false, "name": "Gunawan Prasetyo Utomo", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=kadivpas.kanwil-dki@pasopati.example"}, {"role": "kepala-upt", "role_title": "Kepala UPT (Kalapas/Karutan/Kepala LPKA)", "level": "upt", "org": "rutan-pondok-bambu", "duty": "Memimpin penanganan di UPT dan melaporkan fakta terverifikasi kepada Kanwil; tidak membuat pernyataan publik di luar yang disetujui Kakanwil.", "informed_only": false, "name": "Sri Wahyuni Kusumastuti", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=karutan.pondokbambu@pasopati.example"}, {"role": "humas-upt", "role_title": "Petugas Humas UPT", "level": "upt", "org": "rutan-pondok-bambu", "duty": "Menghimpun bahan dari lapangan, mengunggah pesan yang telah disetujui di akun UPT, dan meneruskan pertanyaan wartawan kepada Humas Kanwil.", "informed_only": false, "name": "Nurul Hidayah Rahmawati", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=humas.pondokbambu@pasopati.example"}, {"role": "kepala-kpr", "role_title": "Kepala Kesatuan Pengamanan (KPLP/KPR)", "level": "upt", "org": "rutan-pondok-bambu", "duty": "Memimpin penghitungan ulang WBP yang dicocokkan dengan SDP dan melaporkan status pengamanan serta koordinasi dengan Polres; rincian prosedur dan celah pengamanan hanya masuk laporan internal.", "informed_only": false, "name": "Ratna Puspitasari Hamid", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=kpr.pondokbambu@pasopati.example"}, {"role": "kabag-humas", "role_title": "Kepala Bagian Humas dan Protokol Ditjenpas", "level": "ditjenpas", "org": "ditjenpas", "duty": "Menerima laporan, memantau potensi eskalasi nasional, dan menyiapkan dukungan Media Center PASOPATI.", "informed_only": true, "name": "Ratih Kusumawardhani", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=kabag.humas@pasopati.example"}], "assembled_at": "2026-11-30T05:47:29.595549Z"}');
INSERT INTO "teams" VALUES('e745022d-4f78-47b6-805d-9c9e14aebdf9','sedang','2026-11-30 05:47:40.427939','{"incident_id": "e745022d-4f78-47b6-805d-9c9e14aebdf9", "severity": "sedang", "members": [{"role": "kakanwil", "role_title": "Kepala Kantor Wilayah Ditjenpas", "level": "kanwil", "org": "kanwil-jawa-barat", "duty": "Juru bicara dan pemberi persetujuan: menyetujui setiap pesan publik, menyampaikannya kepada media, dan melapor kepada Humas Ditjenpas.", "informed_only": false, "name": "Dian Mulyana Kusnadi", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=kakanwil.kanwil-jabar@pasopati.example"}, {"role": "humas-kanwil", "role_title": "Petugas Humas Kanwil", "level": "kanwil", "org": "kanwil-jawa-barat", "duty": "Menyusun draf pernyataan dan siaran pers untuk persetujuan Kakanwil, mengelola akun Kanwil, dan menyelaraskan unggahan akun UPT.", "informed_only": false, "name": "Sinta Rahayu Kurniasih", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=humas.kanwil-jabar@pasopati.example"}, {"role": "kadiv-pemasyarakatan", "role_title": "Kepala Divisi Pemasyarakatan", "level": "kanwil", "org": "kanwil-jawa-barat", "duty": "Memimpin pemeriksaan awal oleh Kanwil dan menetapkan tindakan sementara terhadap petugas yang diperiksa.", "informed_only": false, "name": "Wawan Gunawan Suherman", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=kadivpas.kanwil-jabar@pasopati.example"}, {"role": "kepala-upt", "role_title": "Kepala UPT (Kalapas/Karutan/Kepala LPKA)", "level": "upt", "org": "lapas-sukamiskin", "duty": "Memimpin penanganan di UPT dan melaporkan fakta terverifikasi kepada Kanwil; tidak membuat pernyataan publik di luar yang disetujui Kakanwil.", "informed_only": false, "name": "Asep Suryana Permana", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=kalapas.sukamiskin@pasopati.example"}, {"role": "humas-upt", "role_title": "Petugas Humas UPT", "level": "upt", "org": "lapas-sukamiskin", "duty": "Menghimpun bahan dari lapangan, mengunggah pesan yang telah disetujui di akun UPT, dan meneruskan pertanyaan wartawan kepada Humas Kanwil.", "informed_only": false, "name": "Neneng Sulastri", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=humas.sukamiskin@pasopati.example"}, {"role": "inspektur-jenderal", "role_title": "Inspektur Jenderal Kementerian Imigrasi dan Pemasyarakatan", "level": "kementerian", "org": "kementerian", "duty": "Menerima laporan dugaan pelanggaran untuk menentukan pemeriksaan lanjutan oleh Inspektorat Jenderal.", "informed_only": true, "name": "Rahmadi Sudarsono", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=irjen@pasopati.example"}, {"role": "kabag-humas", "role_title": "Kepala Bagian Humas dan Protokol Ditjenpas", "level": "ditjenpas", "org": "ditjenpas", "duty": "Menerima laporan, memantau potensi eskalasi nasional, dan menyiapkan dukungan Media Center PASOPATI.", "informed_only": true, "name": "Ratih Kusumawardhani", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=kabag.humas@pasopati.example"}], "assembled_at": "2026-11-30T05:47:40.427939Z"}');
INSERT INTO "teams" VALUES('ed699ba1-2580-4a6b-9620-8402a60e6f59','sedang','2026-11-30 05:47:57.556869','{"incident_id": "ed699ba1-2580-4a6b-9620-8402a60e6f59", "severity": "sedang", "members": [{"role": "kakanwil", "role_title": "Kepala Kantor Wilayah Ditjenpas", "level": "kanwil", "org": "kanwil-dki-jakarta", "duty": "Juru bicara dan pemberi persetujuan: menyetujui setiap pesan publik, menyampaikannya kepada media, dan melapor kepada Humas Ditjenpas.", "informed_only": false, "name": "Tri Laksono Adinegoro", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=kakanwil.kanwil-dki@pasopati.example"}, {"role": "humas-kanwil", "role_title": "Petugas Humas Kanwil", "level": "kanwil", "org": "kanwil-dki-jakarta", "duty": "Menyusun draf pernyataan dan siaran pers untuk persetujuan Kakanwil, mengelola akun Kanwil, dan menyelaraskan unggahan akun UPT.", "informed_only": false, "name": "Melati Sekar Ayu", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=humas.kanwil-dki@pasopati.example"}, {"role": "kadiv-pemasyarakatan", "role_title": "Kepala Divisi Pemasyarakatan", "level": "kanwil", "org": "kanwil-dki-jakarta", "duty": "Memverifikasi jumlah WBP dan status pengejaran dengan UPT, SDP, dan Polres sebelum angka masuk pesan publik.", "informed_only": false, "name": "Gunawan Prasetyo Utomo", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=kadivpas.kanwil-dki@pasopati.example"}, {"role": "kepala-upt", "role_title": "Kepala UPT (Kalapas/Karutan/Kepala LPKA)", "level": "upt", "org": "lapas-cipinang", "duty": "Memimpin penanganan di UPT dan melaporkan fakta terverifikasi kepada Kanwil; tidak membuat pernyataan publik di luar yang disetujui Kakanwil.", "informed_only": false, "name": "Yudhistira Wahyu Pratomo", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=kalapas.cipinang@pasopati.example"}, {"role": "humas-upt", "role_title": "Petugas Humas UPT", "level": "upt", "org": "lapas-cipinang", "duty": "Menghimpun bahan dari lapangan, mengunggah pesan yang telah disetujui di akun UPT, dan meneruskan pertanyaan wartawan kepada Humas Kanwil.", "informed_only": false, "name": "Rina Oktaviani Lestari", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=humas.cipinang@pasopati.example"}, {"role": "kepala-kpr", "role_title": "Kepala Kesatuan Pengamanan (KPLP/KPR)", "level": "upt", "org": "lapas-cipinang", "duty": "Memimpin penghitungan ulang WBP yang dicocokkan dengan SDP dan melaporkan status pengamanan serta koordinasi dengan Polres; rincian prosedur dan celah pengamanan hanya masuk laporan internal.", "informed_only": false, "name": "Agung Setyo Nugroho", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=kplp.cipinang@pasopati.example"}, {"role": "kabag-humas", "role_title": "Kepala Bagian Humas dan Protokol Ditjenpas", "level": "ditjenpas", "org": "ditjenpas", "duty": "Menerima laporan, memantau potensi eskalasi nasional, dan menyiapkan dukungan Media Center PASOPATI.", "informed_only": true, "name": "Ratih Kusumawardhani", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=kabag.humas@pasopati.example"}], "assembled_at": "2026-11-30T05:47:57.556869Z"}');
INSERT INTO "teams" VALUES('05ade90f-b195-4d4d-836d-ff78480eaa9d','sedang','2026-11-30 05:47:57.758957','{"incident_id": "05ade90f-b195-4d4d-836d-ff78480eaa9d", "severity": "sedang", "members": [{"role": "kakanwil", "role_title": "Kepala Kantor Wilayah Ditjenpas", "level": "kanwil", "org": "kanwil-kepulauan-bangka-belitung", "duty": "Juru bicara dan pemberi persetujuan: menyetujui setiap pesan publik, menyampaikannya kepada media, dan melapor kepada Humas Ditjenpas.", "informed_only": false, "name": "Rahmat Hidayatullah Sembiring", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=kakanwil.kanwil-babel@pasopati.example"}, {"role": "humas-kanwil", "role_title": "Petugas Humas Kanwil", "level": "kanwil", "org": "kanwil-kepulauan-bangka-belitung", "duty": "Menyusun draf pernyataan dan siaran pers untuk persetujuan Kakanwil, mengelola akun Kanwil, dan menyelaraskan unggahan akun UPT.", "informed_only": false, "name": "Lina Marlina Tjhin", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=humas.kanwil-babel@pasopati.example"}, {"role": "kadiv-pemasyarakatan", "role_title": "Kepala Divisi Pemasyarakatan", "level": "kanwil", "org": "kanwil-kepulauan-bangka-belitung", "duty": "Memverifikasi jumlah WBP dan status pengejaran dengan UPT, SDP, dan Polres sebelum angka masuk pesan publik.", "informed_only": false, "name": "Akhmad Zulkarnain Bakri", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=kadivpas.kanwil-babel@pasopati.example"}, {"role": "kepala-upt", "role_title": "Kepala UPT (Kalapas/Karutan/Kepala LPKA)", "level": "upt", "org": "lapas-pangkalpinang", "duty": "Memimpin penanganan di UPT dan melaporkan fakta terverifikasi kepada Kanwil; tidak membuat pernyataan publik di luar yang disetujui Kakanwil.", "informed_only": false, "name": "Ahmad Syarifuddin Rusdi", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=kalapas.pangkalpinang@pasopati.example"}, {"role": "humas-upt", "role_title": "Petugas Humas UPT", "level": "upt", "org": "lapas-pangkalpinang", "duty": "Menghimpun bahan dari lapangan, mengunggah pesan yang telah disetujui di akun UPT, dan meneruskan pertanyaan wartawan kepada Humas Kanwil.", "informed_only": false, "name": "Yoga Pratama Putra", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=humas.pangkalpinang@pasopati.example"}, {"role": "kepala-kpr", "role_title": "Kepala Kesatuan Pengamanan (KPLP/KPR)", "level": "upt", "org": "lapas-pangkalpinang", "duty": "Memimpin penghitungan ulang WBP yang dicocokkan dengan SDP dan melaporkan status pengamanan serta koordinasi dengan Polres; rincian prosedur dan celah pengamanan hanya masuk laporan internal.", "informed_only": false, "name": "Benny Arifin Sitompul", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=kplp.pangkalpinang@pasopati.example"}, {"role": "kabag-humas", "role_title": "Kepala Bagian Humas dan Protokol Ditjenpas", "level": "ditjenpas", "org": "ditjenpas", "duty": "Menerima laporan, memantau potensi eskalasi nasional, dan menyiapkan dukungan Media Center PASOPATI.", "informed_only": true, "name": "Ratih Kusumawardhani", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=kabag.humas@pasopati.example"}], "assembled_at": "2026-11-30T05:47:57.758957Z"}');
INSERT INTO "teams" VALUES('a0e40868-ad59-4cb4-a1cb-372a544aa03d','luar-biasa','2026-11-30 05:47:57.901333','{"incident_id": "a0e40868-ad59-4cb4-a1cb-372a544aa03d", "severity": "luar-biasa", "members": [{"role": "pimpinan-kementerian", "role_title": "Menteri / Wakil Menteri", "level": "kementerian", "org": "kementerian", "duty": "Memberikan persetujuan atas setiap pesan publik (dua pimpinan yang berbeda) dan menyelaraskannya dengan komunikasi pemerintah pusat.", "informed_only": false, "name": "Sutan Mahendra Harahap", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=menteri@pasopati.example"}, {"role": "pimpinan-kementerian", "role_title": "Menteri / Wakil Menteri", "level": "kementerian", "org": "kementerian", "duty": "Memberikan persetujuan atas setiap pesan publik (dua pimpinan yang berbeda) dan menyelaraskannya dengan komunikasi pemerintah pusat.", "informed_only": false, "name": "Kartika Dyah Pramesti", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=wamen@pasopati.example"}, {"role": "dirjen", "role_title": "Direktur Jenderal Pemasyarakatan", "level": "ditjenpas", "org": "ditjenpas", "duty": "Juru bicara utama: menyampaikan pernyataan resmi, memimpin konferensi pers bersama instansi terkait, dan melapor kepada pimpinan kementerian.", "informed_only": false, "name": "Haryo Seno Adiwijaya", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=dirjen@pasopati.example"}, {"role": "kabag-humas", "role_title": "Kepala Bagian Humas dan Protokol Ditjenpas", "level": "ditjenpas", "org": "ditjenpas", "duty": "Menyalurkan draf pesan kepada pimpinan kementerian untuk persetujuan dan mengoordinasikan pusat informasi bersama dengan humas Polri/BNPB serta komunikasi pemerintah pusat.", "informed_only": false, "name": "Ratih Kusumawardhani", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=kabag.humas@pasopati.example"}, {"role": "operator-media-center", "role_title": "Operator Media Center PASOPATI", "level": "ditjenpas", "org": "ditjenpas", "duty": "Memantau pemberitaan dan media sosial secara terus-menerus, mencatat rumor dan sentimen, serta menerbitkan pesan yang telah disetujui di seluruh kanal.", "informed_only": false, "name": "Galih Prakoso Aji", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=mediacenter@pasopati.example"}, {"role": "kakanwil", "role_title": "Kepala Kantor Wilayah Ditjenpas", "level": "kanwil", "org": "kanwil-sumatera-selatan", "duty": "Mengendalikan penanganan di wilayah, mewakili Kanwil di pusat informasi bersama, dan menjaga satu versi fakta dan angka antara wilayah dan pusat.", "informed_only": false, "name": "Syahrial Fikri Azhar", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=kakanwil.kanwil-sumsel@pasopati.example"}, {"role": "humas-kanwil", "role_title": "Petugas Humas Kanwil", "level": "kanwil", "org": "kanwil-sumatera-selatan", "duty": "Mengelola akun Kanwil dan UPT sesuai pesan pusat dan memasok fakta dari wilayah kepada pusat informasi bersama.", "informed_only": false, "name": "Putri Ayu Wulandari", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=humas.kanwil-sumsel@pasopati.example"}, {"role": "kadiv-pemasyarakatan", "role_title": "Kepala Divisi Pemasyarakatan", "level": "kanwil", "org": "kanwil-sumatera-selatan", "duty": "Memverifikasi jumlah WBP dan status pengejaran dengan UPT, SDP, dan Polres sebelum angka masuk pesan publik.", "informed_only": false, "name": "Hasanuddin Ma''ruf Alamsyah", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=kadivpas.kanwil-sumsel@pasopati.example"}, {"role": "kepala-upt", "role_title": "Kepala UPT (Kalapas/Karutan/Kepala LPKA)", "level": "upt", "org": "lapas-banyuasin", "duty": "Memimpin penanganan di UPT, menjadi sumber fakta lapangan bagi pusat informasi bersama, dan memastikan posko keluarga berjalan.", "informed_only": false, "name": "Muhammad Rizal Effendi", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=kalapas.banyuasin@pasopati.example"}, {"role": "humas-upt", "role_title": "Petugas Humas UPT", "level": "upt", "org": "lapas-banyuasin", "duty": "Melayani keluarga WBP di posko keluarga dengan pesan yang telah disetujui dan meneruskan pertanyaan wartawan kepada pusat informasi bersama.", "informed_only": false, "name": "Siti Rahmah Yulianti", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=humas.banyuasin@pasopati.example"}, {"role": "kepala-kpr", "role_title": "Kepala Kesatuan Pengamanan (KPLP/KPR)", "level": "upt", "org": "lapas-banyuasin", "duty": "Memimpin penghitungan ulang WBP yang dicocokkan dengan SDP dan melaporkan status pengamanan serta koordinasi dengan Polres; rincian prosedur dan celah pengamanan hanya masuk laporan internal.", "informed_only": false, "name": "Dedi Irawan Saputra", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=kplp.banyuasin@pasopati.example"}, {"role": "petugas-kesehatan", "role_title": "Kepala Klinik / Petugas Kesehatan UPT", "level": "upt", "org": "lapas-banyuasin", "duty": "Menangani korban luka dan melaporkan jumlahnya; keterangan medis hanya masuk laporan internal.", "informed_only": false, "name": "dr. Fitri Handayani Zulkifli", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=klinik.banyuasin@pasopati.example"}], "assembled_at": "2026-11-30T05:47:57.901333Z"}');
INSERT INTO "teams" VALUES('75177930-864d-4c4b-9bac-f40b3d99420a','luar-biasa','2026-11-30 05:48:00.811734','{"incident_id": "75177930-864d-4c4b-9bac-f40b3d99420a", "severity": "luar-biasa", "members": [{"role": "pimpinan-kementerian", "role_title": "Menteri / Wakil Menteri", "level": "kementerian", "org": "kementerian", "duty": "Memberikan persetujuan atas setiap pesan publik (dua pimpinan yang berbeda) dan menyelaraskannya dengan komunikasi pemerintah pusat.", "informed_only": false, "name": "Sutan Mahendra Harahap", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=menteri@pasopati.example"}, {"role": "pimpinan-kementerian", "role_title": "Menteri / Wakil Menteri", "level": "kementerian", "org": "kementerian", "duty": "Memberikan persetujuan atas setiap pesan publik (dua pimpinan yang berbeda) dan menyelaraskannya dengan komunikasi pemerintah pusat.", "informed_only": false, "name": "Kartika Dyah Pramesti", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=wamen@pasopati.example"}, {"role": "dirjen", "role_title": "Direktur Jenderal Pemasyarakatan", "level": "ditjenpas", "org": "ditjenpas", "duty": "Juru bicara utama: menyampaikan pernyataan resmi, memimpin konferensi pers bersama instansi terkait, dan melapor kepada pimpinan kementerian.", "informed_only": false, "name": "Haryo Seno Adiwijaya", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=dirjen@pasopati.example"}, {"role": "kabag-humas", "role_title": "Kepala Bagian Humas dan Protokol Ditjenpas", "level": "ditjenpas", "org": "ditjenpas", "duty": "Menyalurkan draf pesan kepada pimpinan kementerian untuk persetujuan dan mengoordinasikan pusat informasi bersama dengan humas Polri/BNPB serta komunikasi pemerintah pusat.", "informed_only": false, "name": "Ratih Kusumawardhani", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=kabag.humas@pasopati.example"}, {"role": "operator-media-center", "role_title": "Operator Media Center PASOPATI", "level": "ditjenpas", "org": "ditjenpas", "duty": "Memantau pemberitaan dan media sosial secara terus-menerus, mencatat rumor dan sentimen, serta menerbitkan pesan yang telah disetujui di seluruh kanal.", "informed_only": false, "name": "Galih Prakoso Aji", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=mediacenter@pasopati.example"}, {"role": "kakanwil", "role_title": "Kepala Kantor Wilayah Ditjenpas", "level": "kanwil", "org": "kanwil-papua-tengah", "duty": "Mengendalikan penanganan di wilayah, mewakili Kanwil di pusat informasi bersama, dan menjaga satu versi fakta dan angka antara wilayah dan pusat.", "informed_only": false, "name": "Petrus Aiwoy Rumaropen", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=kakanwil.kanwil-papuatengah@pasopati.example"}, {"role": "humas-kanwil", "role_title": "Petugas Humas Kanwil", "level": "kanwil", "org": "kanwil-papua-tengah", "duty": "Mengelola akun Kanwil dan UPT sesuai pesan pusat dan memasok fakta dari wilayah kepada pusat informasi bersama.", "informed_only": false, "name": "Yuliana Kambu", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=humas.kanwil-papuatengah@pasopati.example"}, {"role": "kadiv-pemasyarakatan", "role_title": "Kepala Divisi Pemasyarakatan", "level": "kanwil", "org": "kanwil-papua-tengah", "duty": "Memverifikasi jumlah WBP dan status pengejaran dengan UPT, SDP, dan Polres sebelum angka masuk pesan publik.", "informed_only": false, "name": "Simon Waromi Sawaki", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=kadivpas.kanwil-papuatengah@pasopati.example"}, {"role": "kepala-upt", "role_title": "Kepala UPT (Kalapas/Karutan/Kepala LPKA)", "level": "upt", "org": "lapas-nabire", "duty": "Memimpin penanganan di UPT, menjadi sumber fakta lapangan bagi pusat informasi bersama, dan memastikan posko keluarga berjalan.", "informed_only": false, "name": "Daniel Kareth Wanimbo", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=kalapas.nabire@pasopati.example"}, {"role": "humas-upt", "role_title": "Petugas Humas UPT", "level": "upt", "org": "lapas-nabire", "duty": "Melayani keluarga WBP di posko keluarga dengan pesan yang telah disetujui dan meneruskan pertanyaan wartawan kepada pusat informasi bersama.", "informed_only": false, "name": "Maria Magdalena Yeimo", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=humas.nabire@pasopati.example"}, {"role": "kepala-kpr", "role_title": "Kepala Kesatuan Pengamanan (KPLP/KPR)", "level": "upt", "org": "lapas-nabire", "duty": "Memimpin penghitungan ulang WBP yang dicocokkan dengan SDP dan melaporkan status pengamanan serta koordinasi dengan Polres; rincian prosedur dan celah pengamanan hanya masuk laporan internal.", "informed_only": false, "name": "Stevanus Rumbiak", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=kplp.nabire@pasopati.example"}, {"role": "petugas-kesehatan", "role_title": "Kepala Klinik / Petugas Kesehatan UPT", "level": "upt", "org": "lapas-nabire", "duty": "Menangani korban luka dan melaporkan jumlahnya; keterangan medis hanya masuk laporan internal.", "informed_only": false, "name": "dr. Elisabeth Mandowen", "contact": "mailto://127.0.0.1:38221?mode=insecure&smtp=127.0.0.1&from=pasopati@pasopati.example&to=klinik.nabire@pasopati.example"}], "assembled_at": "2026-11-30T05:48:00.811734Z"}');
CREATE INDEX ix_incidents_flow_run_id ON incidents (flow_run_id);
CREATE INDEX ix_incidents_category ON incidents (category);
CREATE INDEX ix_incidents_unit_id ON incidents (unit_id);
CREATE INDEX ix_alerts_status ON alerts (status);
CREATE INDEX ix_alerts_incident_id ON alerts (incident_id);
CREATE INDEX ix_alerts_received_at ON alerts (received_at);
CREATE INDEX ix_alerts_url ON alerts (url);
CREATE INDEX ix_runs_incident_id ON runs (incident_id);
CREATE INDEX ix_facts_incident_id ON facts (incident_id);
CREATE INDEX ix_drafts_incident_id ON drafts (incident_id);
CREATE INDEX ix_decisions_incident_id ON decisions (incident_id);
CREATE INDEX ix_escalations_incident_id ON escalations (incident_id);
CREATE INDEX ix_notifications_incident_id ON notifications (incident_id);
CREATE INDEX ix_publications_incident_id ON publications (incident_id);
COMMIT;
