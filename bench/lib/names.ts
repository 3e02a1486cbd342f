/**
 * Name material for generated customers: first and last names from many languages (some with accents, which
 * search folds), company name parts, e-mail domains, tags and dialling plans. Combined with a seeded PRNG, so a
 * run generates the same data every time.
 */

const words = (s: string): string[] => s.trim().split(/\s+/);

export const firstNames = words(`
  James Mary John Patricia Robert Jennifer Michael Linda William Elizabeth David Barbara Richard Susan Joseph Jessica
  Thomas Sarah Charles Karen Christopher Nancy Daniel Margaret Matthew Lisa Anthony Betty Mark Dorothy Donald Sandra
  Steven Ashley Paul Kimberly Andrew Donna Joshua Emily Kenneth Michelle Kevin Carol Brian Amanda George Melissa
  Edward Deborah Ronald Stephanie Timothy Rebecca Jason Laura Jeffrey Sharon Ryan Cynthia Jacob Kathleen Gary Helen
  Nicholas Amy Eric Shirley Jonathan Angela Stephen Anna Larry Brenda Justin Pamela Scott Nicole Brandon Ruth
  Benjamin Katherine Samuel Samantha Gregory Christine Frank Emma Alexander Catherine Raymond Debra Patrick Virginia
  Jack Rachel Dennis Carolyn Jerry Janet Tyler Maria Aaron Heather Henry Diane Douglas Julie Peter Joyce Adam Victoria
  Nathan Kelly Zachary Christina Walter Joan Kyle Evelyn Harold Lauren Carl Judith Jeremy Olivia Keith Martha Roger
  Megan Gerald Cheryl Ethan Andrea Arthur Hannah Terry Jacqueline Christian Ann Sean Jean Lawrence Alice Austin
  Kathryn Joe Gloria Noah Teresa Jesse Doris Albert Sara Bryan Janice Billy Julia Bruce Marie Willie Madison Jordan
  Grace Dylan Judy Alan Theresa Ralph Beverly Gabriel Denise Roy Marilyn Juan Amber Wayne Danielle Eugene Abigail
  Logan Brittany Randy Rose Louis Diana Russell Natalie Vincent Sophia Philip Alexis Bobby Lori Johnny Kayla Bradley
  Jane José Lucía Sofía Martín Mateo Valentina Camila Santiago Isabella Sebastián Alejandro Ximena Diego Mariana
  Javier Carmen Pablo Elena Álvaro Inés Jorge Pilar Raúl Ángela João Beatriz Gonçalo Leonor Tomás Matilde Rodrigo
  Francisca Thiago Larissa Luana Caio Renata Léa Chloé Manon Camille Théo Hugo Lucas Louise Jules Zoé Raphaël
  Élodie Benoît Mathilde Aurélien Clémence Loïc Gaëlle François Océane Maximilian Sophie Lukas Mia Jonas Lena Felix
  Hannah Leon Johanna Paul Marie Finn Jürgen Günter Ursula Sören Annika Björn Jörg Käthe Matteo Giulia Lorenzo
  Chiara Alessandro Francesca Leonardo Martina Federico Giorgia Andrea Sara Niccolò Aurora Jakub Zuzana Tomasz
  Agnieszka Piotr Katarzyna Krzysztof Małgorzata Łukasz Magdalena Dmitri Olga Sergei Natalia Ivan Tatiana Alexei
  Anastasia Mikhail Yulia Oleksandr Iryna Bogdan Ioana Mihai Andreea Nikos Eleni Giorgos Katerina Mehmet Ayşe Emre
  Zeynep Burak Elif Mustafa Fatma Ahmed Fatima Mohammed Aisha Omar Layla Youssef Mariam Hassan Nour Karim Yasmin
  Ali Zainab Tariq Samira Rahul Priya Arjun Ananya Vikram Deepika Rohan Kavya Aditya Sneha Sanjay Lakshmi Ravi
  Pooja Amit Neha Suresh Divya Anil Meera Wei Fang Jing Lei Min Xiu Hao Yan Jun Ying Tao Lian Hiroshi Yuki Takashi
  Sakura Kenji Aiko Haruto Yui Sota Hina Riku Mei Minjun Jiwoo Seojun Haeun Jisoo Dohyun Nguyen Linh Minh Thao Anh
  Quang Huong Chidi Ngozi Emeka Adaeze Oluwaseun Funmilayo Kwame Ama Kofi Abena Thabo Naledi Sipho Zanele Tendai
  Amara Kamau Wanjiru Lars Ingrid Erik Astrid Nils Sigrid Magnus Freya Olav Liv Mikko Aino Juha Sanna Eero Saara
  Sean Siobhan Ciarán Aoife Niamh Oisín Eoin Róisín Declan Gráinne Rhys Cerys Dafydd Eira Aroha Tane Keanu Leilani
`);

export const lastNames = words(`
  Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson Anderson
  Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis Robinson Walker
  Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell
  Carter Roberts Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy
  Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson Watson
  Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel Myers Long Ross
  Foster Jimenez Powell Jenkins Perry Russell Sullivan Bell Coleman Butler Henderson Barnes Gonzales Fisher
  Vasquez Simmons Romero Jordan Patterson Alexander Hamilton Graham Reynolds Griffin Wallace Moreno West Cole
  Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar Stevens Murray Ford Castro Marshall Owens Harrison
  Fernández Muñoz Sáez Núñez Peña Ibáñez Márquez Domínguez Vázquez Gutiérrez Gómez Pérez Sánchez Martín Jiménez
  Álvarez Romero Navarro Torres Rubio Molina Delgado Ortega Serrano Blanco Suárez Castro Ortiz Silva Santos
  Oliveira Souza Costa Pereira Carvalho Almeida Ferreira Rodrigues Gonçalves Lima Araújo Ribeiro Barbosa Martins
  Rocha Dias Moreira Cardoso Teixeira Correia Dubois Lefèvre Moreau Laurent Simon Michel Leroy Roux David Bertrand
  Morel Fournier Girard Bonnet Dupont Lambert Fontaine Rousseau Vincent Muller Faure Mercier Blanc Guérin Boyer
  Chevalier François Lemaire Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer
  Koch Bauer Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann Lange Werner
  Krause Köhler Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno Gallo Conti
  DeLuca Mancini Costa Giordano Rizzo Lombardi Moretti Barbieri Fontana Santoro Caruso Nowak Kowalski Wiśniewski
  Wójcik Kowalczyk Kamiński Lewandowski Zieliński Szymański Woźniak Dąbrowski Novák Svoboda Dvořák Černý
  Procházka Ivanov Smirnov Kuznetsov Popov Vasiliev Petrov Sokolov Mikhailov Fedorov Morozov Volkov Kovalenko
  Shevchenko Bondarenko Tkachenko Popescu Ionescu Constantin Stoica Papadopoulos Papadakis Georgiou Nikolaidis
  Yılmaz Kaya Demir Şahin Çelik Yıldız Aydın Öztürk Arslan Doğan Haddad Khalil Mansour Nasser Saleh Hamdan
  Rahman Hussain Khan Ahmed Aziz Karimi Hosseini Rezaei Sharma Verma Gupta Singh Kumar Reddy Iyer Nair Menon
  Chatterjee Banerjee Mukherjee Das Bose Joshi Kulkarni Desai Mehta Shah Kapoor Malhotra Wang Li Zhang Liu Chen
  Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo Lin He Gao Luo Tanaka Suzuki Takahashi Watanabe Ito Yamamoto
  Nakamura Kobayashi Kato Yoshida Yamada Sasaki Matsumoto Inoue Kimura Hayashi Shimizu Park Choi Jung Kang Cho
  Yoon Jang Lim Han Shin Pham Hoang Phan Vu Vo Dang Bui Do Ngo Duong Okafor Okonkwo Adeyemi Obi Eze Nwosu Balogun
  Mensah Asante Owusu Boateng Osei Mwangi Otieno Kariuki Dlamini Nkosi Ndlovu Khumalo Moyo Banda Phiri Hansen
  Johansson Andersson Nilsson Larsson Olsen Karlsson Jensen Nielsen Pedersen Eriksson Lindqvist Virtanen
  Korhonen Mäkinen Nieminen Hämäläinen O'Brien O'Connor Murphy Byrne Ryan Walsh O'Sullivan McCarthy Doherty
  Kennedy Lynch Quinn MacDonald Campbell Stewart Robertson Fraser Jones Davies Evans Llewellyn Hughes Te
  Ngata Tamihana Kealoha Akana Van der Berg Janssen de Vries Bakker Visser Smit Meijer de Boer Mulder Bos
`).filter((w) => !['Van', 'der', 'de', 'Te'].includes(w));

export const companyWords = words(`
  Acme Apex Atlas Aurora Beacon Blue Bright Cedar Cobalt Crescent Crown Delta Eagle Echo Evergreen Falcon Fusion
  Galaxy Granite Harbor Horizon Iron Jade Keystone Lighthouse Lotus Maple Meridian Nimbus North Oak Orbit Pacific
  Peak Pioneer Prism Quantum Radiant Redwood River Sapphire Silver Summit Sun Terra Titan Trident Union Vertex
  Vista Willow Zenith Alpine Amber Arrow Bay Bridge Canyon Cascade Coast Copper Coral Eastern Ember Field Forge
`);

export const companyNouns = words(`
  Systems Labs Logistics Foods Health Analytics Media Energy Software Partners Capital Consulting Design Robotics
  Motors Textiles Pharma Studios Networks Solutions Ventures Works Supply Travel Insurance Bank Outfitters Bakery
  Brewing Dental Legal Realty Construction Solar Marine Aviation Security Education Fitness Retail Coffee
`);

export const companySuffixes = words('Inc Ltd GmbH SA SAS BV AB Oy LLC Co SpA KK Pty');

export const emailDomains = words(`
  gmail.com gmail.com gmail.com gmail.com outlook.com outlook.com hotmail.com yahoo.com yahoo.com icloud.com
  proton.me aol.com gmx.de web.de orange.fr free.fr laposte.net libero.it yandex.ru mail.ru qq.com 163.com
  naver.com yahoo.co.jp rediffmail.com btinternet.com t-online.de seznam.cz wp.pl uol.com.br telenet.be
  shaw.ca bigpond.com xtra.co.nz fastmail.com hey.com zoho.com
`);

export const tagWords = words(`
  vip newsletter beta-tester wholesale partner enterprise smb trial churn-risk referral event-2024 event-2025
  webinar b2b b2c reseller influencer press investor student nonprofit gov high-value low-touch onboarding
  support-heavy promoter detractor early-adopter
`);

export const stageKeys = ['lead', 'prospect', 'customer', 'loyal', 'at_risk', 'churned'];
export const sourceWords = ['import', 'web_form', 'api', 'referral', 'event', 'sales', 'support'];

/** Country code and the length of the national number, with how likely each is. */
export const dialPlans: Array<{ cc: string; lead: string[]; digits: number; weight: number }> = [
  {
    cc: '1',
    lead: ['212', '213', '312', '415', '512', '617', '646', '702', '713', '206', '303', '404'],
    digits: 7,
    weight: 30,
  },
  { cc: '44', lead: ['7700', '7911', '7400', '7500', '7824'], digits: 6, weight: 10 },
  { cc: '49', lead: ['151', '160', '170', '171', '176'], digits: 8, weight: 10 },
  { cc: '33', lead: ['6', '7'], digits: 8, weight: 8 },
  { cc: '34', lead: ['6', '7'], digits: 8, weight: 6 },
  { cc: '39', lead: ['33', '34', '32'], digits: 8, weight: 5 },
  { cc: '55', lead: ['119', '219', '319'], digits: 8, weight: 6 },
  { cc: '91', lead: ['98', '99', '97', '70'], digits: 8, weight: 8 },
  { cc: '81', lead: ['90', '80', '70'], digits: 8, weight: 4 },
  { cc: '234', lead: ['803', '806', '813'], digits: 7, weight: 4 },
  { cc: '61', lead: ['4'], digits: 8, weight: 4 },
  { cc: '48', lead: ['5', '6', '7'], digits: 8, weight: 5 },
];
